import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE leads (
      id            VARCHAR(40)  NOT NULL PRIMARY KEY,
      email         VARCHAR(320) NOT NULL,
      name          VARCHAR(200) NOT NULL,
      company       VARCHAR(200) NOT NULL,
      title         VARCHAR(200) NULL,
      linkedin_url  VARCHAR(500) NULL,
      website       VARCHAR(500) NULL,
      notify_email  VARCHAR(320) NULL,
      status        VARCHAR(16)  NOT NULL,
      workflow_id   VARCHAR(200) NOT NULL,
      research      JSON NULL,
      analysis      JSON NULL,
      score         TINYINT UNSIGNED NULL,
      error_type    VARCHAR(100) NULL,
      error_message TEXT NULL,
      created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      UNIQUE KEY uq_leads_email (email),
      KEY ix_leads_created (created_at, id),
      KEY ix_leads_status_created (status, created_at, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  `.execute(db);

  // One row per message that must go out at most once; checked before sending, written right after.
  await sql`
    CREATE TABLE mail_deliveries (
      message_key VARCHAR(191) NOT NULL PRIMARY KEY,
      message_id  VARCHAR(255) NOT NULL,
      recipient   VARCHAR(320) NOT NULL,
      subject     VARCHAR(500) NOT NULL,
      transport   VARCHAR(16)  NOT NULL,
      sent_at     DATETIME(3)  NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  `.execute(db);

  // Idempotency-Key headers: the first request's fingerprint and the resource it made.
  await sql`
    CREATE TABLE idempotency_keys (
      scope        VARCHAR(32)  NOT NULL,
      idem_key     VARCHAR(255) NOT NULL,
      request_hash CHAR(64)     NOT NULL,
      resource_id  VARCHAR(64)  NOT NULL,
      created_at   DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (scope, idem_key)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS idempotency_keys`.execute(db);
  await sql`DROP TABLE IF EXISTS mail_deliveries`.execute(db);
  await sql`DROP TABLE IF EXISTS leads`.execute(db);
}
