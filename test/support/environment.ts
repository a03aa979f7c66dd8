import { createConnection } from 'mysql2/promise';
import pino from 'pino';
import { createDb } from '../../db';
import { migrateToLatest } from '../../db/migrate';
import { seedDemoInventory } from '../../db/seed';
import { migrateGateway } from '../../gateway/migrate';
import type { GatewayDatabase } from '../../gateway/schema';
import { type DevServer, startDevServer } from '../../tools/local/dev-server';
import { ensureTemporalCli } from '../../tools/local/temporal-cli';
import { workflowCode } from '../../worker/workflow-bundle';
import { freePort } from './ports';

/**
 * What a test run (jest's global setup) or a measurement script (bench) needs before any Troupe
 * starts: a fresh MySQL database, migrated and seeded; an in-memory Temporal dev server; the workflow
 * bundle. Exported to TEST_MYSQL_URL, TEST_TEMPORAL_ADDRESS and TEST_WORKFLOW_BUNDLE for the harness.
 */
export async function prepareRunEnvironment(
  database: string,
): Promise<{ server: DevServer; mysqlUrl: string }> {
  const mysqlUrl = await prepareDatabase(database);
  const [server, bundle] = await Promise.all([
    startDevServer({ cli: await ensureTemporalCli(), port: await freePort() }),
    workflowCode(pino({ level: 'warn' })),
  ]);
  process.env.TEST_MYSQL_URL = mysqlUrl;
  process.env.TEST_TEMPORAL_ADDRESS = server.address;
  process.env.TEST_WORKFLOW_BUNDLE =
    bundle.workflowBundle && 'codePath' in bundle.workflowBundle ? bundle.workflowBundle.codePath : '';
  return { server, mysqlUrl };
}

/** A fresh MySQL database, migrated (Troupe and the sandbox gateway) and seeded; returns its URL. */
export async function prepareDatabase(database: string): Promise<string> {
  const mysqlBase = process.env.TEST_MYSQL_SERVER_URL ?? 'mysql://root@127.0.0.1:3306';
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
  return mysqlUrl;
}
