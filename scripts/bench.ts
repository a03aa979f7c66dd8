// `npm run bench`: Troupe's speed measurements, kept out of the test suite. Starts its own in-memory
// Temporal dev server, a fresh `troupe_bench` database, the Tavily/Groq stand-ins, an SMTP sink and the
// sandbox gateway, then measures:
//   - one lead, end to end (POST → COMPLETED), sequentially and in a burst;
//   - N concurrent bookings for one seat (exactly one must win), p50/p99 of POST /api/v1/bookings.
// Options: BENCH_LEADS (default 20), BENCH_BOOKINGS (comma list, default 50,100,200).
import { createConnection } from 'mysql2/promise';
import pino from 'pino';
import { createDb } from '../db';
import { migrateToLatest } from '../db/migrate';
import { seedDemoInventory } from '../db/seed';
import { migrateGateway } from '../gateway/migrate';
import type { GatewayDatabase } from '../gateway/schema';
import { SandboxGateway } from '../test/support/gateway';
import { groqStandIn } from '../test/support/groq';
import { eventually, http, newLead, startTroupe } from '../test/support/harness';
import { createShow } from '../test/support/inventory';
import { freePort } from '../test/support/ports';
import { SmtpSink } from '../test/support/smtp-sink';
import { standInEnv } from '../test/support/stand-in-env';
import { tavilyStandIn } from '../test/support/tavily';
import { workflowCode } from '../worker/workflow-bundle';
import { startDevServer } from './dev-server';
import { ensureTemporalCli } from './temporal-cli';

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};
const summary = (ms: number[]) =>
  `p50 ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms`;

async function main() {
  const mysqlBase = process.env.TEST_MYSQL_SERVER_URL ?? 'mysql://root@127.0.0.1:3306';
  const admin = await createConnection({ uri: `${mysqlBase}/` });
  await admin.query('DROP DATABASE IF EXISTS troupe_bench');
  await admin.query('CREATE DATABASE troupe_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  await admin.end();
  const mysqlUrl = `${mysqlBase}/troupe_bench`;
  const db = createDb(mysqlUrl);
  await migrateToLatest(db);
  await seedDemoInventory(db);
  await migrateGateway(createDb<GatewayDatabase>(mysqlUrl));

  const server = await startDevServer({ cli: await ensureTemporalCli(), port: await freePort() });
  const bundle = await workflowCode(pino({ level: 'warn' }));
  process.env.TEST_MYSQL_URL = mysqlUrl;
  process.env.TEST_TEMPORAL_ADDRESS = server.address;
  process.env.TEST_WORKFLOW_BUNDLE =
    bundle.workflowBundle && 'codePath' in bundle.workflowBundle ? bundle.workflowBundle.codePath : '';

  const [tavily, groq, smtp, gateway] = await Promise.all([
    tavilyStandIn().start(),
    groqStandIn().start(),
    new SmtpSink().start(),
    new SandboxGateway().start(),
  ]);
  const troupe = await startTroupe({
    env: standInEnv({ tavily, groq, smtp, gateway }),
  });

  const leadTime = async () => {
    const started = performance.now();
    const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead() });
    await eventually(
      async () => {
        const got = await http(`${troupe.url}/api/v1/leads/${created.body.id}`);
        if (got.body.status !== 'COMPLETED') throw new Error(got.body.status);
      },
      60_000,
      20,
    );
    return performance.now() - started;
  };
  const leads = Number(process.env.BENCH_LEADS ?? 20);
  await leadTime(); // warm-up
  const sequential: number[] = [];
  for (let i = 0; i < leads; i++) sequential.push(await leadTime());
  console.log(
    `Lead end to end (POST → COMPLETED, stand-ins), ${leads} one after another: ${summary(sequential)}`,
  );
  const burst = await Promise.all(Array.from({ length: leads }, leadTime));
  console.log(`Lead end to end, ${leads} at once: ${summary(burst)}`);

  for (const n of (process.env.BENCH_BOOKINGS ?? '50,100,200').split(',').map(Number)) {
    const showId = await createShow(troupe.db);
    const latencies: number[] = [];
    const statuses = await Promise.all(
      Array.from({ length: n }, async () => {
        const started = performance.now();
        const response = await http(`${troupe.url}/api/v1/bookings`, {
          body: { showId, seatIds: ['E5'], customer: { name: 'Bench', email: 'bench@troupe.test' } },
        });
        latencies.push(performance.now() - started);
        return response.status;
      }),
    );
    const won = statuses.filter((s) => s === 201).length;
    const lost = statuses.filter((s) => s === 409).length;
    console.log(
      `${n} concurrent bookings for one seat: ${won} × 201, ${lost} × 409, other ${n - won - lost}; POST ${summary(latencies)}`,
    );
  }

  await troupe.stop();
  await Promise.all([tavily.stop(), groq.stop(), smtp.stop(), gateway.stop()]);
  await db.destroy();
  await server.stop();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
