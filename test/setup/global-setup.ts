// One Temporal dev server (in memory), one fresh MySQL database and one workflow bundle for the
// whole run; test files read their addresses from the environment.
import { createConnection } from 'mysql2/promise';
import pino from 'pino';
import { createDb } from '../../db';
import { migrateToLatest } from '../../db/migrate';
import { seedDemoInventory } from '../../db/seed';
import { migrateGateway } from '../../gateway/migrate';
import type { GatewayDatabase } from '../../gateway/schema';
import { startDevServer } from '../../scripts/dev-server';
import { ensureTemporalCli } from '../../scripts/temporal-cli';
import { workflowCode } from '../../worker/workflow-bundle';
import { freePort } from '../support/ports';

export default async function globalSetup(): Promise<void> {
  const mysqlBase = process.env.TEST_MYSQL_SERVER_URL ?? 'mysql://root@127.0.0.1:3306';
  const database = process.env.TEST_MYSQL_DATABASE ?? 'troupe_test';
  const admin = await createConnection({ uri: `${mysqlBase}/` });
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const mysqlUrl = `${mysqlBase}/${database}`;
  const db = createDb(mysqlUrl);
  await migrateToLatest(db);
  await seedDemoInventory(db);
  await db.destroy();
  const gatewayDb = createDb<GatewayDatabase>(mysqlUrl);
  await migrateGateway(gatewayDb);
  await gatewayDb.destroy();

  const logger = pino({ level: 'warn' });
  const [server, bundle] = await Promise.all([
    startDevServer({ cli: await ensureTemporalCli(), port: await freePort() }),
    workflowCode(logger),
  ]);
  (globalThis as { __temporal?: typeof server }).__temporal = server;

  process.env.TEST_MYSQL_URL = mysqlUrl;
  process.env.TEST_TEMPORAL_ADDRESS = server.address;
  process.env.TEST_WORKFLOW_BUNDLE =
    bundle.workflowBundle && 'codePath' in bundle.workflowBundle ? bundle.workflowBundle.codePath : '';
}
