import { type Kysely, sql } from 'kysely';

/**
 * Bulk lead imports (POST /api/v1/lead-imports): the import itself (its totals and state, written by
 * the import workflow), the rows it refused (line, field, why), and each lead's import with its place in
 * the file, so the workflow can page through them in file order. `entity_events` is the change log the
 * API's live streams (server-sent events) read: one row per state change of a lead, booking or import;
 * its id is the stream's event id, so a client resumes with Last-Event-ID from the database.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE lead_imports (
      id            VARCHAR(40)  NOT NULL PRIMARY KEY,
      workflow_id   VARCHAR(80)  NOT NULL,
      status        VARCHAR(16)  NOT NULL,
      mode          VARCHAR(16)  NOT NULL,
      format        VARCHAR(8)   NOT NULL,
      rows_total    INT UNSIGNED NOT NULL,
      valid         INT UNSIGNED NOT NULL,
      invalid       INT UNSIGNED NOT NULL,
      duplicates    INT UNSIGNED NOT NULL,
      started       INT UNSIGNED NOT NULL DEFAULT 0,
      created_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      finished_at   DATETIME(3)  NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  `.execute(db);
  await sql`
    CREATE TABLE lead_import_errors (
      import_id VARCHAR(40)   NOT NULL,
      seq       INT UNSIGNED  NOT NULL,
      line      INT UNSIGNED  NOT NULL,
      kind      VARCHAR(16)   NOT NULL,
      field     VARCHAR(100)  NOT NULL,
      message   VARCHAR(500)  NOT NULL,
      email     VARCHAR(320)  NULL,
      PRIMARY KEY (import_id, seq)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  `.execute(db);
  await sql`ALTER TABLE leads ADD COLUMN import_id VARCHAR(40) NULL, ADD COLUMN import_seq INT UNSIGNED NULL`.execute(
    db,
  );
  await sql`CREATE INDEX ix_leads_import ON leads (import_id, import_seq)`.execute(db);
  await sql`
    CREATE TABLE entity_events (
      id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      entity_type VARCHAR(16)  NOT NULL,
      entity_id   VARCHAR(64)  NOT NULL,
      status      VARCHAR(24)  NOT NULL,
      data        JSON         NULL,
      created_at  DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      KEY ix_entity_events_entity (entity_type, entity_id, id),
      KEY ix_entity_events_created (created_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS entity_events`.execute(db);
  await sql`DROP INDEX ix_leads_import ON leads`.execute(db);
  await sql`ALTER TABLE leads DROP COLUMN import_seq, DROP COLUMN import_id`.execute(db);
  await sql`DROP TABLE IF EXISTS lead_import_errors`.execute(db);
  await sql`DROP TABLE IF EXISTS lead_imports`.execute(db);
}
