import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import type { Worker } from '@temporalio/worker';
import { type Db, poolStats } from '../db';
import { forgetWorker, recordWorkerHealth } from '../db/worker-health';
import type { Logger } from '../observability/logger';
import { ProgressMonitor } from './progress';
import { type WorkerSizing, watchedWorkers } from './worker';

/**
 * The worker's own health endpoint, for Kubernetes probes and `npm start`'s supervisor:
 * - `GET /healthz` (liveness): 200 while the worker makes progress; 503 with the reason once it has
 *   not for WORKER_STALL_SECONDS (an exhausted pool, all slots taken and nothing finishing). Restart it.
 * - `GET /readyz` (readiness): 200 when every worker polls its task queue and the worker is live.
 * Both answer JSON with the monitor's figures (pool, slots in use, activities finished).
 */
export async function startHealthServer(
  monitor: ProgressMonitor,
  port: number,
  logger: Logger,
): Promise<{ url: string; close(): Promise<void> }> {
  let reported: string | undefined;
  const server: Server = createServer((req, res) => {
    const health = monitor.check();
    if (!health.live && health.reason !== reported) {
      reported = health.reason;
      logger.error({ reason: health.reason, pool: health.pool }, 'Worker is not making progress');
    }
    const polling = Object.values(health.workers).every(
      (w) => w.runState === 'RUNNING' && w.workflowPollerState === 'POLLING',
    );
    const path = (req.url ?? '/').split('?')[0];
    const ok = path === '/healthz' ? health.live : path === '/readyz' ? health.live && polling : undefined;
    if (ok === undefined || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"status":"not found"}');
      return;
    }
    const status = !health.live ? 'stalled' : ok ? 'ok' : 'not polling';
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ status, ...health }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `WORKER_HEALTH_PORT ${port} is already in use (another worker on this host?); ` +
                `start this worker with a free one, e.g. WORKER_HEALTH_PORT=${port + 1}`,
            )
          : err,
      ),
    );
    server.listen(port, '0.0.0.0', resolve);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** How often a worker reports its health to MySQL (db/worker-health.ts says how old is too old). */
export const HEALTH_REPORT_EVERY_MS = 5_000;

/**
 * Writes this worker's health to `worker_health` every few seconds, through its own pool (so a worker
 * whose pool is exhausted falls silent, which the API reads as not live either). The API's /readyz
 * needs at least one live, current worker on the task queue.
 */
export function startHealthReports(options: {
  db: Db;
  monitor: ProgressMonitor;
  identity: string;
  taskQueue: string;
  logger: Logger;
}): { stop(): Promise<void> } {
  const startedAt = new Date();
  let current: Promise<void> | undefined;
  const report = async () => {
    const health = options.monitor.check();
    await recordWorkerHealth(options.db, {
      identity: options.identity,
      taskQueue: options.taskQueue,
      startedAt,
      live: health.live,
      reason: health.reason,
      poolInUse: health.pool?.inUse ?? 0,
      poolWaiting: health.pool?.waiting ?? 0,
      activitiesFinished: health.activitiesFinished,
    });
  };
  const timer = setInterval(() => {
    if (current) return;
    current = report()
      .catch((err) => options.logger.debug({ err }, 'Could not report worker health'))
      .finally(() => {
        current = undefined;
      });
  }, HEALTH_REPORT_EVERY_MS);
  timer.unref();
  void report().catch(() => undefined);
  return {
    async stop() {
      clearInterval(timer);
      await current;
      // Gone: the API should not count this worker any longer.
      await forgetWorker(options.db, options.identity).catch(() => undefined);
    },
  };
}

/**
 * Everything that watches one worker process: the progress monitor (fed by the activity interceptor
 * through `onActivityFinished`), the reports to MySQL and, with `port`, the health endpoint.
 */
export function workerHealth(options: {
  db: Db;
  taskQueue: string;
  sizing: WorkerSizing;
  stallSeconds: number;
  logger: Logger;
  identity?: string;
}) {
  let workers: Worker[] = [];
  const monitor = new ProgressMonitor({
    watched: () => watchedWorkers(workers, options.sizing),
    pool: () => poolStats(options.db),
    stallMs: options.stallSeconds * 1000,
  });
  const identity = options.identity ?? `${process.pid}@${hostname()}`;
  let server: Awaited<ReturnType<typeof startHealthServer>> | undefined;
  let reports: ReturnType<typeof startHealthReports> | undefined;
  return {
    monitor,
    identity,
    onActivityFinished: () => monitor.activityFinished(),
    /** Starts watching the workers once they exist; returns the health endpoint's URL, if served. */
    async start(running: Worker[], port?: number): Promise<string | undefined> {
      workers = running;
      monitor.start();
      reports = startHealthReports({ ...options, monitor, identity });
      if (port !== undefined) server = await startHealthServer(monitor, port, options.logger);
      return server?.url;
    },
    async stop(): Promise<void> {
      monitor.stop();
      await reports?.stop();
      await server?.close();
    },
  };
}
