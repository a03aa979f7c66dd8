import { type Kysely, sql } from 'kysely';

/**
 * Each worker process reports whether it is making progress every few seconds (worker/health.ts), so
 * the API's /readyz can tell a live worker from one that polls but is wedged — or gone quiet.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE worker_health (
      identity      VARCHAR(255) NOT NULL PRIMARY KEY,
      task_queue    VARCHAR(200) NOT NULL,
      live          TINYINT(1)   NOT NULL,
      reason        VARCHAR(500) NULL,
      pool_in_use   INT UNSIGNED NOT NULL,
      pool_waiting  INT UNSIGNED NOT NULL,
      activities_finished BIGINT UNSIGNED NOT NULL,
      started_at    DATETIME(3)  NOT NULL,
      reported_at   DATETIME(3)  NOT NULL,
      KEY ix_worker_health_queue (task_queue, reported_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS worker_health`.execute(db);
}
