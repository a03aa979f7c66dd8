import { type Kysely, sql } from 'kysely';

/**
 * Outbound webhooks (README "Webhooks"): the endpoints people subscribe, the business events Troupe
 * emits, one delivery per event and endpoint, and every attempt of it (the delivery log).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE webhook_endpoints (
      id               VARCHAR(40)   NOT NULL PRIMARY KEY,
      url              VARCHAR(2000) NOT NULL,
      description      VARCHAR(500)  NULL,
      events           JSON          NOT NULL,
      enabled          TINYINT(1)    NOT NULL DEFAULT 1,
      disabled_reason  VARCHAR(500)  NULL,
      secret           TEXT          NOT NULL,
      previous_secret  TEXT          NULL,
      previous_secret_until DATETIME(3) NULL,
      failing_since    DATETIME(3)   NULL,
      deleted_at       DATETIME(3)   NULL,
      created_at       DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at       DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      KEY ix_webhook_endpoints_created (created_at, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  `.execute(db);
  await sql`
    CREATE TABLE webhook_events (
      id           VARCHAR(64)  NOT NULL PRIMARY KEY,
      type         VARCHAR(40)  NOT NULL,
      entity_id    VARCHAR(64)  NOT NULL,
      occurred_at  DATETIME(3)  NOT NULL,
      payload      JSON         NOT NULL,
      created_at   DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      KEY ix_webhook_events_entity (entity_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  `.execute(db);
  await sql`
    CREATE TABLE webhook_deliveries (
      id              VARCHAR(64)  NOT NULL PRIMARY KEY,
      endpoint_id     VARCHAR(40)  NOT NULL,
      event_id        VARCHAR(64)  NOT NULL,
      status          VARCHAR(16)  NOT NULL,
      attempts        INT UNSIGNED NOT NULL DEFAULT 0,
      next_attempt_at DATETIME(3)  NULL,
      last_status     SMALLINT     NULL,
      last_error      VARCHAR(500) NULL,
      created_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      KEY ix_webhook_deliveries_endpoint (endpoint_id, created_at),
      KEY ix_webhook_deliveries_status (status, created_at),
      KEY ix_webhook_deliveries_event (event_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  `.execute(db);
  await sql`
    CREATE TABLE webhook_attempts (
      id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      delivery_id   VARCHAR(64)   NOT NULL,
      attempt       INT UNSIGNED  NOT NULL,
      status_code   SMALLINT      NULL,
      latency_ms    INT UNSIGNED  NOT NULL,
      error         VARCHAR(500)  NULL,
      response_body VARCHAR(1024) NULL,
      attempted_at  DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      UNIQUE KEY uq_webhook_attempts (delivery_id, attempt)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['webhook_attempts', 'webhook_deliveries', 'webhook_events', 'webhook_endpoints']) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  }
}
