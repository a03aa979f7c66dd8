// The bench's world: a fresh MySQL database, a Temporal server (an in-memory dev server, or --against
// an existing one), the stand-ins, Troupe (API + worker in this process) and the baseline's workers.
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type Worker } from '@temporalio/worker';
import { createConnection } from 'mysql2/promise';
import pino from 'pino';
import { troupeClient } from '../../clients/temporal';
import { loadConfig } from '../../config';
import { createDb } from '../../db';
import { migrateToLatest } from '../../db/migrate';
import { seedDemoInventory } from '../../db/seed';
import { FAILURE_CONVERTER_PATH } from '../../encryption/data-converter';
import { migrateGateway } from '../../gateway/migrate';
import type { GatewayDatabase } from '../../gateway/schema';
import { SandboxGateway } from '../../test/support/gateway';
import { groqStandIn } from '../../test/support/groq';
import { startTroupe, type Troupe, testEnv } from '../../test/support/harness';
import { freePort } from '../../test/support/ports';
import { SmtpSink } from '../../test/support/smtp-sink';
import { standInEnv } from '../../test/support/stand-in-env';
import { tavilyStandIn } from '../../test/support/tavily';
import { createPlainWorker, runWorkers } from '../../worker/worker';
import { workflowCode } from '../../worker/workflow-bundle';
import { llmTaskQueue } from '../../workflows/lead/shared';
import { startDevServer } from '../local/dev-server';
import { ensureTemporalCli } from '../local/temporal-cli';
import { baselineActivities } from './baseline/activities';
import { startProfiledTroupe } from './profiled-troupe';

// Errors only: a race answers hundreds of 409s, each logged as a warning.
export const quiet = pino({ level: 'error' });

export interface BenchWorld {
  troupe: Troupe;
  /** A client with Troupe's data converter, for the baseline. */
  baseline: { client: Troupe['client']; taskQueue: string };
  temporalAddress: string;
  /** The dev server's process id (unset with --against). */
  temporalPid?: number;
  bundlePath: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startWorld(options: {
  against?: string;
  /** Run Troupe's API and worker as their own processes under `--cpu-prof`, writing profiles here. */
  profileDir?: string;
}): Promise<BenchWorld> {
  const mysqlBase = process.env.TEST_MYSQL_SERVER_URL ?? 'mysql://root@127.0.0.1:3306';
  const admin = await createConnection({ uri: `${mysqlBase}/` });
  // BENCH_MYSQL_DATABASE: two benches on one MySQL server (say, two checkouts) must not share one.
  const database = process.env.BENCH_MYSQL_DATABASE ?? 'troupe_bench';
  if (!/^\w{1,64}$/.test(database)) throw new Error('BENCH_MYSQL_DATABASE must be letters, digits and _');
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const mysqlUrl = `${mysqlBase}/${database}`;
  const setupDb = createDb(mysqlUrl);
  await migrateToLatest(setupDb);
  await seedDemoInventory(setupDb);
  await migrateGateway(createDb<GatewayDatabase>(mysqlUrl));
  await setupDb.destroy();

  const server = options.against
    ? undefined
    : await startDevServer({ cli: await ensureTemporalCli(), port: await freePort() });
  const temporalAddress = options.against ?? (server?.address as string);
  const bundle = await workflowCode(quiet);
  const bundlePath =
    bundle.workflowBundle && 'codePath' in bundle.workflowBundle ? bundle.workflowBundle.codePath : '';
  process.env.TEST_MYSQL_URL = mysqlUrl;
  process.env.TEST_TEMPORAL_ADDRESS = temporalAddress;
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;

  const [tavily, groq, smtp, gateway] = await Promise.all([
    tavilyStandIn().start(),
    groqStandIn().start(),
    new SmtpSink().start(),
    new SandboxGateway().start(),
  ]);
  // The offline path for the analysis would skip Groq; the stand-in answers at once, like Groq's cap would not.
  const standIns = standInEnv({ tavily, groq, smtp, gateway });
  const troupe = options.profileDir
    ? await startProfiledTroupe(standIns, options.profileDir)
    : await startTroupe({ env: standIns, logger: quiet });

  // The baseline: its own task queues, workers built by the same builder with the same data converter.
  const config = loadConfig(testEnv(troupe.env));
  const taskQueue = `bench-baseline-${Date.now()}`;
  const connection = await NativeConnection.connect({ address: temporalAddress });
  const baselineBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve(path.join(__dirname, 'baseline', 'workflows')),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const common = {
    connection,
    namespace: config.temporal.namespace,
    encryption: config,
    shutdownGraceSeconds: 1,
  };
  const workers: Worker[] = await Promise.all([
    createPlainWorker({
      ...common,
      taskQueue,
      workflowBundle: baselineBundle,
      activities: baselineActivities,
    }),
    createPlainWorker({ ...common, taskQueue: llmTaskQueue(taskQueue), activities: baselineActivities }),
  ]);
  const running = runWorkers(workers);
  const client = troupeClient(await Connection.connect({ address: temporalAddress }), config);

  return {
    troupe,
    baseline: { client, taskQueue },
    temporalAddress,
    temporalPid: server?.process.pid,
    bundlePath,
    env: troupe.env,
    async stop() {
      for (const w of workers) w.shutdown();
      await running;
      await connection.close();
      await client.connection.close();
      await troupe.stop();
      await Promise.all([tavily.stop(), groq.stop(), smtp.stop(), gateway.stop()]);
      await server?.stop();
    },
  };
}
