import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { createApp } from '../../api/app';
import { connectRedis } from '../../clients/redis';
import { troupeClient } from '../../clients/temporal';
import { type Config, loadConfig } from '../../config';
import { createDb, type Db } from '../../db';
import type { Logger } from '../../observability/logger';
import { setupTracing, type Tracing } from '../../observability/tracing';
import { activityDependencies } from '../../worker/dependencies';
import { workerHealth } from '../../worker/health';
import { createWorkers, llmRateCap, runWorkers } from '../../worker/worker';
import { TEST_PAYLOAD_KEYS } from './encryption';
import { appLogLevel, sdkLogs } from './sdk-logs';

/** Troupe's logger in tests: silent unless LOG_LEVEL asks (test/support/sdk-logs.ts). */
export const silentLogger = pino({ level: appLogLevel });

export { sdkLogs };

/** Environment for a test process: the run's MySQL database and Temporal server, a private task queue. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: appLogLevel,
    MYSQL_URL: process.env.TEST_MYSQL_URL,
    MIGRATE_ON_START: 'false',
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    MAIL_FROM: 'Troupe <troupe@troupe.test>',
    LEAD_REPORT_TO: 'sales@troupe.test',
    // Tests measure behaviour, not Groq's plan or a client's quota; the tests of those set their own.
    GROQ_MAX_REQUESTS_PER_SECOND: '1000',
    RATE_LIMIT_PER_MINUTE: '100000',
    // Payloads are encrypted in tests as in production, with the committed test-only key.
    PAYLOAD_ENCRYPTION_KEYS: TEST_PAYLOAD_KEYS,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

export interface Troupe {
  url: string;
  config: Config;
  env: Record<string, string>;
  client: Client;
  db: Db;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts an in-process worker (unless `worker: false`) and the API on a free port, against real servers. */
export async function startTroupe(
  options: {
    env?: Record<string, string | undefined>;
    worker?: boolean;
    tracing?: Tracing;
    logger?: Logger;
  } = {},
): Promise<Troupe> {
  const logger = options.logger ?? silentLogger;
  const env = testEnv(options.env);
  const config = loadConfig(env);
  // The API and the worker each have their own pool, as in production (two processes).
  const pool = { connectionLimit: config.mysql.poolSize, acquireTimeoutMs: config.mysql.acquireTimeoutMs };
  const db = createDb(config.mysql.url, pool);
  const workerDb = options.worker === false ? undefined : createDb(config.mysql.url, pool);
  const client = troupeClient(await Connection.connect({ address: config.temporal.address }), config);

  let workers: Worker[] = [];
  let running: Promise<void> | undefined;
  let nativeConnection: NativeConnection | undefined;
  let health: ReturnType<typeof workerHealth> | undefined;
  const tracing = options.tracing ?? setupTracing({}, 'troupe-test');
  const deps = workerDb && activityDependencies(config, workerDb, logger);
  if (workerDb && deps) {
    health = workerHealth({
      db: workerDb,
      taskQueue: config.temporal.taskQueue,
      sizing: config.worker,
      stallSeconds: config.worker.stallSeconds,
      logger,
    });
    nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
    workers = await createWorkers({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      deps,
      workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE ?? '' },
      tracing,
      llmActivitiesPerSecond: llmRateCap(config),
      shutdownGraceSeconds: 2,
      encryption: config,
      sizing: config.worker,
      webhookSlots: config.webhooks.deliverySlots,
      onActivityFinished: health.onActivityFinished,
    });
    running = runWorkers(workers);
    await health.start(workers);
  }

  const redis = config.http.redisUrl ? await connectRedis(config.http.redisUrl, logger) : undefined;
  const app = createApp({ config, db, temporal: client, logger, redis });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const stopWorker = async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await running;
    await health?.stop();
    health = undefined;
    await nativeConnection?.close();
    nativeConnection = undefined;
    await deps?.close();
    await workerDb?.destroy().catch(() => undefined);
  };
  return {
    url,
    config,
    env,
    client,
    db,
    stopWorker,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await stopWorker();
      await redis?.quit();
      await client.connection.close();
      await db.destroy();
    },
  };
}

/** Retries an assertion until it passes or the time is up; the last failure is what the test reports. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}

// biome-ignore lint/suspicious/noExplicitAny: tests assert on response bodies field by field
export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** fetch with JSON in and out, for talking to the API under test. */
// biome-ignore lint/suspicious/noExplicitAny: as above
export async function http<T = any>(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<JsonResponse<T>> {
  const hasBody = init.body !== undefined || init.raw !== undefined;
  const response = await fetch(url, {
    method: init.method ?? (hasBody ? 'POST' : 'GET'),
    headers: { ...(init.body !== undefined && { 'content-type': 'application/json' }), ...init.headers },
    body: init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: the test sees the text.
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

let counter = 0;
/** A lead body with a unique email, so tests never collide in the shared database. */
export function newLead(overrides: Record<string, unknown> = {}) {
  counter++;
  const tag = `${Date.now().toString(36)}${counter}${Math.random().toString(36).slice(2, 6)}`;
  return {
    name: 'Grace Hopper',
    email: `grace.${tag}@navy.example`,
    company: 'US Navy',
    title: 'Rear Admiral',
    linkedinUrl: 'https://www.linkedin.com/in/grace-hopper',
    website: 'https://navy.example',
    ...overrides,
  };
}
