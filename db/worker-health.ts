// Each worker process's report of whether it is making progress (written by worker/health.ts, read by
// the API's /readyz). Times are the database's, so hosts whose clocks differ agree on what is current.
import { sql } from 'kysely';
import type { Db } from '.';

/** A report older than this does not count: the worker has gone quiet (exhausted pool, or gone). */
export const HEALTH_REPORT_FRESH_MS = 20_000;

export interface WorkerHealthReport {
  identity: string;
  taskQueue: string;
  startedAt: Date;
  live: boolean;
  reason?: string;
  poolInUse: number;
  poolWaiting: number;
  activitiesFinished: number;
}

export async function recordWorkerHealth(db: Db, report: WorkerHealthReport): Promise<void> {
  const row = {
    task_queue: report.taskQueue,
    live: report.live ? 1 : 0,
    reason: report.reason?.slice(0, 500) ?? null,
    pool_in_use: report.poolInUse,
    pool_waiting: report.poolWaiting,
    activities_finished: report.activitiesFinished,
    reported_at: sql<Date>`NOW(3)`,
  };
  await db
    .insertInto('worker_health')
    .values({ identity: report.identity, started_at: report.startedAt, ...row })
    .onDuplicateKeyUpdate(row)
    .execute();
}

export async function forgetWorker(db: Db, identity: string): Promise<void> {
  await db.deleteFrom('worker_health').where('identity', '=', identity).execute();
}

/** What the workers' reports for a task queue say: undefined when one is live and current, else why not. */
export async function workerHealthProblem(db: Db, taskQueue: string): Promise<string | undefined> {
  const rows = await db
    .selectFrom('worker_health')
    .select([
      'identity',
      'live',
      'reason',
      sql<number>`TIMESTAMPDIFF(MICROSECOND, reported_at, NOW(3))`.as('age_us'),
    ])
    .where('task_queue', '=', taskQueue)
    .execute();
  const fresh = rows.filter((r) => Number(r.age_us) / 1000 <= HEALTH_REPORT_FRESH_MS);
  if (fresh.some((r) => r.live)) return undefined;
  const stalled = fresh.find((r) => !r.live);
  if (stalled) return `worker ${stalled.identity} is not making progress: ${stalled.reason ?? 'unknown'}`;
  return rows.length > 0
    ? `no worker has reported in the last ${HEALTH_REPORT_FRESH_MS / 1000} s (its MySQL pool may be exhausted, or it is gone)`
    : 'no worker has reported its health';
}
