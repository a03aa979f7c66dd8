import { eventually, http, newLead, startTroupe, type Troupe } from '../support/harness';
import { type Part, spawnWorker } from '../support/processes';
import { SmtpSink } from '../support/smtp-sink';
import { standInEnv } from '../support/stand-in-env';

const BURST = 40;
const SMTP_REPLY_MS = 300;

/** Waits until every lead is COMPLETED or FAILED, or the time is up; returns the last statuses seen. */
async function settle(url: string, ids: string[], timeoutMs: number): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await Promise.all(
      ids.map(async (id) => (await http(`${url}/api/v1/leads/${id}`)).body.status as string),
    );
    const counts: Record<string, number> = {};
    for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
    const open = statuses.filter((s) => s !== 'COMPLETED' && s !== 'FAILED').length;
    if (open === 0 || Date.now() > deadline) return counts;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

// The production topology: the API in this process, the worker its own process with its own MySQL
// pool (the default size), the offline default (no Groq, no Tavily) and a mail server that takes
// 300 ms to accept each message — then more leads at once than the worker's pool has connections.
describe('a burst of leads with a slow mail server', () => {
  let smtp: SmtpSink;
  let api: Troupe;
  let worker: Part | undefined;

  beforeAll(async () => {
    smtp = await new SmtpSink().answerAfter(SMTP_REPLY_MS).start();
    api = await startTroupe({ worker: false });
    worker = await spawnWorker({
      ...api.env,
      WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE ?? '',
      ...standInEnv({ smtp }),
    });
  });
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await worker?.exited;
    await api?.stop();
    await smtp?.stop();
  });

  it(`completes all ${BURST} leads with one report each, none sent twice`, async () => {
    const created = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        http(`${api.url}/api/v1/leads`, { body: newLead({ name: `Burst ${i}` }) }),
      ),
    );
    expect(created.map((r) => r.status)).toEqual(Array(BURST).fill(202));
    const ids = created.map((r) => r.body.id as string);

    expect(await settle(api.url, ids, 90_000)).toEqual({ COMPLETED: BURST });
    const messageIds = smtp.received.map((m) => m.messageId);
    expect(messageIds).toHaveLength(BURST);
    expect(new Set(messageIds).size).toBe(BURST);
  }, 150_000);
});

// The same burst, with the worker SIGKILLed while reports are being sent and a new one started: every
// lead still completes with its report, and a report is sent twice only where a send was cut off
// between the server accepting it and the record (at-least-once, the same Message-ID), as counted in
// mail_deliveries.send_attempts.
describe('a burst of leads when the worker is killed mid-send', () => {
  let smtp: SmtpSink;
  let api: Troupe;
  const workers: Part[] = [];

  beforeAll(async () => {
    smtp = await new SmtpSink().answerAfter(1_000).start();
    api = await startTroupe({ worker: false });
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await api?.stop();
    await smtp?.stop();
  });

  it('completes every lead once the backlog moves to a new worker; resends only what the record says', async () => {
    const env = {
      ...api.env,
      WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE ?? '',
      // A claim lapses 10 s after its send deadline: a killed worker's sends are retried within seconds.
      SMTP_SEND_TIMEOUT_MS: '3000',
      ...standInEnv({ smtp }),
    };
    workers.push(await spawnWorker(env));
    const created = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        http(`${api.url}/api/v1/leads`, { body: newLead({ name: `Killed ${i}` }) }),
      ),
    );
    const ids = created.map((r) => r.body.id as string);
    await eventually(async () => expect(smtp.received.length).toBeGreaterThanOrEqual(5), 30_000);
    const [first] = workers;
    first?.child.kill('SIGKILL');
    await first?.exited;
    workers.push(await spawnWorker(env));

    expect(await settle(api.url, ids, 120_000)).toEqual({ COMPLETED: ids.length });
    const rows = await api.db
      .selectFrom('mail_deliveries')
      .select(['message_id', 'send_attempts', 'status'])
      .where(
        'message_key',
        'in',
        ids.map((id) => `lead-report:${id}`),
      )
      .execute();
    expect(rows.every((r) => r.status === 'SENT')).toBe(true);
    for (const row of rows) {
      const received = smtp.received.filter((m) => m.messageId === row.message_id).length;
      expect(received).toBeGreaterThanOrEqual(1);
      // Never more copies than attempts that claimed it: a resend is always a counted takeover.
      expect(received).toBeLessThanOrEqual(row.send_attempts);
    }
    expect(new Set(smtp.received.map((m) => m.messageId)).size).toBe(ids.length);
  }, 200_000);
});
