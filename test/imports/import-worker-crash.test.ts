import { sql } from 'kysely';
import { eventually, http, startTroupe, type Troupe } from '../support/harness';
import { type Part, spawnWorker } from '../support/processes';
import { SmtpSink } from '../support/smtp-sink';
import { toCsv, uniqueTag, upload } from './support';

describe('a worker killed in the middle of an import', () => {
  let smtp: SmtpSink;
  let api: Troupe;
  const workers: Part[] = [];

  beforeAll(async () => {
    smtp = await new SmtpSink().start();
    // The API alone in this process; the worker is a separate process that can be killed.
    api = await startTroupe({
      worker: false,
      env: { IMPORT_CONCURRENCY: '10', IMPORT_STARTS_PER_RUN: '50' },
    });
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await api?.stop();
    await smtp?.stop();
  });

  it('is picked up by a new worker: every valid row ends as exactly one lead, with one enrichment and one email', async () => {
    const env = {
      ...api.env,
      WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE ?? '',
      SMTP_URL: smtp.url,
    };
    const first = await spawnWorker(env);
    workers.push(first);
    const tag = uniqueTag();
    const rows = 120;
    const csv = toCsv([
      ['name', 'email', 'company'],
      ...Array.from({ length: rows }, (_, i) => [`Crash ${i}`, `crash${i}.${tag}@import.example`, 'C']),
    ]);
    const created = await upload(api.url, csv);
    expect(created.status).toBe(202);
    const id = created.body.id;
    const get = async () => (await http(`${api.url}/api/v1/lead-imports/${id}`)).body;
    await eventually(
      async () => expect((await get()).totals.completed).toBeGreaterThanOrEqual(15),
      90_000,
      250,
    );

    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = await get();
    expect(killedAt.totals.completed).toBeLessThan(rows);
    workers.push(await spawnWorker(env));

    const done = await eventually(
      async () => {
        const view = await get();
        expect(view.status).toBe('COMPLETED');
        return view;
      },
      180_000,
      1_000,
    );
    expect(done.totals).toMatchObject({ valid: rows, started: rows, completed: rows, failed: 0 });
    // Exactly one lead per row, each enriched once (one report, sent once).
    const leads = await sql<{ email: string; n: number }>`
      SELECT email, COUNT(*) AS n FROM leads WHERE import_id = ${id} GROUP BY email`.execute(api.db);
    expect(leads.rows).toHaveLength(rows);
    expect(leads.rows.every((r) => Number(r.n) === 1)).toBe(true);
    const deliveries = await sql<{ sent: number; attempts: number }>`
      SELECT COUNT(*) AS sent, MAX(d.send_attempts) AS attempts FROM mail_deliveries d
      JOIN leads l ON d.message_key = CONCAT('lead-report:', l.id) WHERE l.import_id = ${id} AND d.status = 'SENT'`.execute(
      api.db,
    );
    expect(Number(deliveries.rows[0]?.sent)).toBe(rows);
    const mails = smtp.received.filter((m) => m.raw.includes(tag) || m.subject?.includes('Crash '));
    const perLead = new Map<string, number>();
    for (const m of mails) perLead.set(m.messageId ?? '', (perLead.get(m.messageId ?? '') ?? 0) + 1);
    // A mail the server took twice (an answer lost in the kill) carries one Message-ID: one report.
    expect(perLead.size).toBe(rows);
  }, 300_000);
});
