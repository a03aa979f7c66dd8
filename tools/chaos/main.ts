// `npm run chaos`: a seeded stream of leads, bookings and payments through the real API, workers,
// Temporal, MySQL, SMTP and payment gateway, while faults hit them; then a reconciliation that
// must find nothing lost and nothing doubled. See README "Chaos".
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pino from 'pino';
import { connectClient } from '../../clients/temporal';
import { loadConfig } from '../../config';
import { createDb } from '../../db';
import { openDatabase } from '../../db/migrate';
import type { Database } from '../../db/schema';
import { seedDemoInventory } from '../../db/seed';
import type { GatewayDatabase } from '../../gateway/schema';
import { type AppliedFault, applyFault, FAULT_KINDS, type FaultKind, planFaults } from './faults';
import { reconcileOutbound, subscribeReceiver, untilDelivered } from './outbound';
import { Stack } from './processes';
import { Random } from './random';
import { reconcile, untilSettled } from './reconcile';
import { failedRows, latencyByFault, loadAverage, writeReport } from './report';
import { planWorkload, runWorkload } from './workload';

// Besides the workflows spread over the run, a burst posted at once (at 30 % of the run), and a mail
// server slow to answer for the whole run: guarantees must hold when pools and slots run out, too.
const MODES = {
  long: {
    workflows: 320,
    duration: 420,
    workers: 3,
    kills: 5,
    mysqlCut: 25,
    window: 15,
    hold: 30,
    burstLeads: 200,
    burstBookings: 100,
  },
  short: {
    workflows: 60,
    duration: 80,
    workers: 2,
    kills: 2,
    mysqlCut: 8,
    window: 5,
    hold: 20,
    burstLeads: 40,
    burstBookings: 10,
  },
};
const SMTP_REPLY_MS = 300;
const SETTLE_MS = 120_000;

const log = (line: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function options() {
  const { values } = parseArgs({
    options: {
      short: { type: 'boolean', default: false },
      seed: { type: 'string' },
      workflows: { type: 'string' },
      duration: { type: 'string' },
      workers: { type: 'string' },
      kills: { type: 'string' },
      'mysql-cut': { type: 'string' },
      'burst-leads': { type: 'string' },
      'burst-bookings': { type: 'string' },
      'smtp-delay': { type: 'string' },
      faults: { type: 'string', default: FAULT_KINDS.join(',') },
      database: { type: 'string', default: process.env.CHAOS_MYSQL_DATABASE ?? 'troupe_chaos' },
    },
  });
  const mode = MODES[values.short ? 'short' : 'long'];
  const int = (name: string, value: string | undefined, fallback: number, min = 1) => {
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min)
      throw new Error(`--${name} must be a whole number of at least ${min}, got "${value}"`);
    return Number(value);
  };
  const faults = (values.faults ?? '').split(',').filter(Boolean);
  const unknown = faults.filter((f) => !(FAULT_KINDS as readonly string[]).includes(f));
  if (unknown.length)
    throw new Error(`--faults: unknown ${unknown.join(', ')}; known: ${FAULT_KINDS.join(', ')}`);
  if (!/^\w{1,64}$/.test(values.database ?? '')) throw new Error('--database must be letters, digits and _');
  return {
    short: values.short ?? false,
    seed: int('seed', values.seed, Math.floor(Math.random() * 1_000_000)),
    workflows: int('workflows', values.workflows, mode.workflows),
    durationMs: int('duration', values.duration, mode.duration) * 1000,
    workers: int('workers', values.workers, mode.workers),
    kills: int('kills', values.kills, mode.kills),
    faults: faults as FaultKind[],
    database: values.database as string,
    mysqlCutMs: int('mysql-cut', values['mysql-cut'], mode.mysqlCut) * 1000,
    burstLeads: int('burst-leads', values['burst-leads'], mode.burstLeads, 0),
    burstBookings: int('burst-bookings', values['burst-bookings'], mode.burstBookings, 0),
    smtpDelayMs: int('smtp-delay', values['smtp-delay'], SMTP_REPLY_MS, 0),
    windowMs: mode.window * 1000,
    holdSeconds: mode.hold,
  };
}

async function main(): Promise<number> {
  const o = options();
  const startedAt = Date.now();
  const load = loadAverage();
  const command = `npm run chaos -- ${o.short ? '--short ' : ''}--seed ${o.seed} --workflows ${o.workflows} --duration ${o.durationMs / 1000} --workers ${o.workers} --kills ${o.kills} --mysql-cut ${o.mysqlCutMs / 1000} --burst-leads ${o.burstLeads} --burst-bookings ${o.burstBookings} --smtp-delay ${o.smtpDelayMs} --faults ${o.faults.join(',')}`;
  log(
    `seed ${o.seed}: ${o.workflows} workflows over ${o.durationMs / 1000} s, ${o.workers} workers, faults ${o.faults.join(',')}`,
  );
  log(`reproduce: ${command}`);
  if (load[0] !== undefined && load[0] > 5) log(`warning: load average ${load[0]}; figures will be noisy`);

  const dataDir = path.resolve('data/chaos', String(o.seed));
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const mysqlUrl = process.env.CHAOS_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
  const stack = new Stack({
    database: o.database,
    mysqlUrl,
    workers: o.workers,
    holdSeconds: o.holdSeconds,
    dataDir,
    log,
  });

  // A fresh database each run: the reconciliation counts everything in it.
  const admin = createDb(mysqlUrl);
  await sql`DROP DATABASE IF EXISTS ${sql.id(o.database)}`.execute(admin);
  await admin.destroy();
  const db = await openDatabase({ mysql: { url: stack.directMysqlUrl(), migrateOnStart: true } });
  await seedDemoInventory(db);
  const showRows = await db
    .selectFrom('shows')
    .innerJoin('seats', 'seats.screen_id', 'shows.screen_id')
    .select(['shows.id', 'seats.label'])
    .where('shows.starts_at', '>', new Date(Date.now() + 3_600_000))
    .orderBy('shows.id')
    .orderBy('seats.id')
    .execute();
  await db.destroy();
  const shows = [...new Set(showRows.map((r) => r.id))].slice(0, 3).map((id) => ({
    id,
    seats: showRows.filter((r) => r.id === id).map((r) => r.label),
  }));

  let exitCode = 1;
  try {
    log('starting Toxiproxy, Temporal, the gateway, workers and the API…');
    await stack.start();
    stack.smtp.answerAfter(o.smtpDelayMs);
    // A live subscriber to every business event, behind Toxiproxy (faults hit it like any service).
    const subscriber = await subscribeReceiver(
      stack.apiUrl,
      `http://127.0.0.1:${stack.ports.receiver}/troupe`,
    );
    log(
      `API ${stack.apiUrl}; Temporal ${stack.temporal.address}; toxiproxy ports ${JSON.stringify(stack.ports)}`,
    );

    const random = new Random(o.seed);
    const faultPlan = planFaults(random, {
      kinds: o.faults,
      durationMs: o.durationMs,
      workers: o.workers,
      kills: o.kills,
      mysqlCutMs: o.mysqlCutMs,
      windowMs: o.windowMs,
    });
    let faultsEndedAt: number | undefined;
    const workloadOptions = {
      apiUrl: stack.apiUrl,
      seed: o.seed,
      workflows: o.workflows,
      spreadMs: o.durationMs * 0.8,
      // Clients give up 2 min after the faults (and the stream of new workflows) stop.
      deadline: () =>
        faultsEndedAt === undefined
          ? Number.POSITIVE_INFINITY
          : Math.max(faultsEndedAt, runStart + o.durationMs) + SETTLE_MS,
      shows,
      gateway: { url: stack.gatewayUrl, key: stack.gatewayKey },
      burst: { at: Math.round(o.durationMs * 0.3), leads: o.burstLeads, bookings: o.burstBookings },
      // A CSV import at 50 % of the run: each row a lead, checked like the others.
      imports: { at: Math.round(o.durationMs * 0.5), rows: o.short ? 20 : 100 },
    };
    const plans = planWorkload(random, workloadOptions);
    const runStart = Date.now();
    const faultsDone = Promise.all(
      faultPlan.map(async (fault) => {
        await sleep(Math.max(0, runStart + fault.at - Date.now()));
        return applyFault(stack, fault, log);
      }),
    ).then((applied: AppliedFault[]) => {
      faultsEndedAt = Date.now();
      log(`faults over (${applied.length}); workflows have ${SETTLE_MS / 1000} s more to finish`);
      return applied;
    });
    const progress = setInterval(
      () => log(`progress: ${Math.round((Date.now() - runStart) / 1000)} s`),
      30_000,
    );
    const [records, applied] = await Promise.all([runWorkload(workloadOptions, plans), faultsDone]);
    clearInterval(progress);

    const checkDb = createDb<Database & GatewayDatabase>(stack.directMysqlUrl());
    // Clients that gave up stopped watching their workflow: every workflow still gets its settle time.
    const unsettled = await untilSettled(checkDb, records, workloadOptions.deadline());
    log(`workflows settled (${unsettled} not settled by the deadline)`);
    log('waiting for outbound webhook deliveries to finish…');
    const pending = await untilDelivered(checkDb, SETTLE_MS);
    log(`reconciling… (${pending} outbound deliveries still pending)`);
    // The workers' DATA_DIR holds the local payload key: the checker decrypts with the same one.
    const config = loadConfig({ ...stack.troupeEnv(), MYSQL_URL: stack.directMysqlUrl() });
    const temporal = await connectClient(config, pino({ level: 'silent' }));
    const reconciliation = await reconcile({
      db: checkDb,
      temporal,
      started: records,
      mailFrom: stack.troupeEnv().MAIL_FROM as string,
      receivedMessageIds: stack.smtp.received.map((m) => m.messageId),
    });
    const { problems, ...outbound } = await reconcileOutbound(
      checkDb,
      stack.receiver.received,
      subscriber.secret,
    );
    Object.assign(reconciliation, outbound);
    reconciliation.problems.push(...problems);
    await checkDb.destroy();
    await temporal.connection.close();

    writeReport(
      {
        seed: o.seed,
        command,
        startedAt: new Date(startedAt).toISOString(),
        durationSeconds: Math.round((Date.now() - startedAt) / 1000),
        loadAverage: { start: load, end: loadAverage() },
        reconciliation,
        latency: latencyByFault(records, applied),
        faults: applied,
        workflows: records,
      },
      path.resolve('data/chaos'),
      console.log,
    );
    const failed = failedRows(reconciliation);
    exitCode = failed.length ? 1 : 0;
    log(
      failed.length
        ? `FAILED: ${failed.join(', ')} (reproduce: ${command})`
        : 'passed: every must-be-0 row is 0',
    );
  } finally {
    const logs = path.join(dataDir, 'logs');
    mkdirSync(logs, { recursive: true });
    for (const { name, lines } of stack.outputs())
      writeFileSync(path.join(logs, `${name}.log`), `${lines.join('\n')}\n`);
    await stack.stop();
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`chaos: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
