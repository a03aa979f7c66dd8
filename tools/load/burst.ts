// `npm run burst`: many leads posted at once against a slow mail server, the way the wedge of issue
// "a burst of leads wedges the worker" was found. An in-memory dev server, one API and one worker
// process (as production runs them), an SMTP server answering after --smtp-delay ms; --leads posted
// at the same moment; optionally the worker SIGKILLed --kill-after seconds in and started again. It
// waits (at most --timeout seconds) for every lead to finish and reports the time, the rate, the mail
// the server received, distinct Message-IDs, and resends against what the delivery record counts.
// Exits 1 if a lead did not complete, or a report arrived more often than its record accounts for.
// Bounded: one run, 127.0.0.1 only, stops by itself.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDb } from '../../db';
import { prepareRunEnvironment } from '../../test/support/environment';
import { newLead } from '../../test/support/harness';
import { startTroupeProcesses } from '../../test/support/troupe-processes';

const { values: args } = parseArgs({
  options: {
    leads: { type: 'string', default: '40' },
    'smtp-delay': { type: 'string', default: '300' },
    'kill-after': { type: 'string' },
    timeout: { type: 'string', default: '300' },
  },
});

function bounded(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`--${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

const count = bounded('leads', args.leads, 1, 5_000);
const smtpDelayMs = bounded('smtp-delay', args['smtp-delay'], 0, 30_000);
const killAfterS =
  args['kill-after'] === undefined ? undefined : bounded('kill-after', args['kill-after'], 1, 600);
const timeoutS = bounded('timeout', args.timeout, 10, 3_600);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<number> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'troupe-burst-'));
  const { server, mysqlUrl } = await prepareRunEnvironment('troupe_burst');
  const troupe = await startTroupeProcesses({
    temporalAddress: server.address,
    mysqlUrl,
    apis: 1,
    workers: 1,
    dataDir,
  });
  troupe.smtp.answerAfter(smtpDelayMs);
  const db = createDb(mysqlUrl);
  try {
    const api = troupe.apis[0]?.url ?? '';
    console.log(`Burst: ${count} leads posted at once; the mail server answers after ${smtpDelayMs} ms…`);
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        fetch(`${api}/api/v1/leads`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(newLead({ name: `Burst ${i}` })),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { id?: string } })),
      ),
    );
    const ids = answers.flatMap((a) => (a.status === 202 && a.body.id ? [a.body.id] : []));
    const postedMs = Date.now() - started;
    let killed = false;
    const deadline = started + timeoutS * 1000;
    let statuses: Record<string, number> = {};
    for (;;) {
      if (killAfterS !== undefined && !killed && Date.now() - started >= killAfterS * 1000) {
        killed = true;
        console.log(
          `  SIGKILL the worker at ${Math.round((Date.now() - started) / 1000)} s; starting another`,
        );
        await troupe.replaceWorker(0, 1_000);
      }
      const rows = await db
        .selectFrom('leads')
        .select(['status', db.fn.countAll<number>().as('n')])
        .where('id', 'in', ids.length ? ids : [''])
        .groupBy('status')
        .execute();
      statuses = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      const done = (statuses.COMPLETED ?? 0) + (statuses.FAILED ?? 0);
      if (done === ids.length || Date.now() > deadline) break;
      await sleep(500);
    }
    const tookS = (Date.now() - started) / 1000;
    const received = troupe.smtp.received.map((m) => m.messageId);
    const copies = new Map<string, number>();
    for (const id of received) if (id) copies.set(id, (copies.get(id) ?? 0) + 1);
    const records = await db
      .selectFrom('mail_deliveries')
      .select(['message_id', 'send_attempts'])
      .where(
        'message_key',
        'in',
        ids.map((id) => `lead-report:${id}`),
      )
      .execute();
    const attempts = new Map(records.map((r) => [r.message_id, r.send_attempts]));
    const resent = [...copies.values()].reduce((sum, n) => sum + n - 1, 0);
    const unexplained = [...copies].filter(([id, n]) => n > (attempts.get(id) ?? 0)).length;
    const completed = statuses.COMPLETED ?? 0;
    console.log(
      `  accepted ${ids.length} of ${count} in ${postedMs} ms (answers: ${JSON.stringify(countBy(answers.map((a) => a.status)))})`,
    );
    console.log(
      `  finished in ${tookS.toFixed(1)} s: ${JSON.stringify(statuses)}; ${(completed / tookS).toFixed(1)} leads/s`,
    );
    console.log(
      `  mail received ${received.length}, distinct Message-IDs ${copies.size}, resent (same Message-ID) ${resent}, unexplained by the record ${unexplained}`,
    );
    return completed === count && unexplained === 0 ? 0 : 1;
  } finally {
    await db.destroy();
    await troupe.stop();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function countBy(values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
