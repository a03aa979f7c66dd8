import { type Kysely, Migrator, sql } from 'kysely';
import type { GatewayDb } from './schema';

// The sandbox keeps its own ledger tables and migration history, as a separate service would.
const migrations = {
  '001_ledger': {
    async up(db: Kysely<unknown>) {
      await sql`
        CREATE TABLE gateway_authorizations (
          id             VARCHAR(40)  NOT NULL PRIMARY KEY,
          amount         INT UNSIGNED NOT NULL,
          currency       CHAR(3)      NOT NULL,
          payment_method VARCHAR(64)  NOT NULL,
          reference      VARCHAR(200) NULL,
          status         VARCHAR(20)  NOT NULL,
          captured       INT UNSIGNED NOT NULL DEFAULT 0,
          refunded       INT UNSIGNED NOT NULL DEFAULT 0,
          decline_code   VARCHAR(64)  NULL,
          created_at     DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          updated_at     DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`.execute(db);
      await sql`
        CREATE TABLE gateway_ledger (
          id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
          authorization_id VARCHAR(40)  NOT NULL,
          kind             VARCHAR(16)  NOT NULL,
          amount           INT UNSIGNED NOT NULL,
          idempotency_key  VARCHAR(255) NOT NULL,
          created_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          KEY ix_gateway_ledger_authorization (authorization_id)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.execute(db);
      await sql`
        CREATE TABLE gateway_idempotency (
          idem_key     VARCHAR(255) NOT NULL PRIMARY KEY,
          request_hash CHAR(64)     NOT NULL,
          status_code  SMALLINT UNSIGNED NOT NULL,
          response     JSON         NULL,
          created_at   DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['gateway_idempotency', 'gateway_ledger', 'gateway_authorizations']) {
        await sql`DROP TABLE IF EXISTS ${sql.table(t)}`.execute(db);
      }
    },
  },
  // Asynchronous methods (pending authorizations that expire), merchant metadata, and signed webhooks
  // delivered from an outbox written with each change.
  '002_webhooks': {
    async up(db: Kysely<unknown>) {
      await sql`
        ALTER TABLE gateway_authorizations
          ADD COLUMN metadata   JSON         NULL,
          ADD COLUMN expires_at DATETIME(3)  NULL,
          ADD COLUMN version    INT UNSIGNED NOT NULL DEFAULT 1,
          ADD KEY ix_gateway_authorizations_pending (status, expires_at),
          ADD KEY ix_gateway_authorizations_created (created_at)`.execute(db);
      await sql`
        CREATE TABLE gateway_webhook_events (
          id               VARCHAR(40)  NOT NULL PRIMARY KEY,
          type             VARCHAR(40)  NOT NULL,
          authorization_id VARCHAR(40)  NOT NULL,
          payload          JSON         NOT NULL,
          created_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          KEY ix_gateway_webhook_events_authorization (authorization_id)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`.execute(db);
      await sql`
        CREATE TABLE gateway_webhook_deliveries (
          id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
          event_id        VARCHAR(40)   NOT NULL,
          url             VARCHAR(500)  NOT NULL,
          attempts        INT UNSIGNED  NOT NULL DEFAULT 0,
          next_attempt_at DATETIME(3)   NOT NULL,
          delivered_at    DATETIME(3)   NULL,
          failed_at       DATETIME(3)   NULL,
          last_status     SMALLINT      NULL,
          last_error      VARCHAR(500)  NULL,
          KEY ix_gateway_webhook_deliveries_due (delivered_at, failed_at, next_attempt_at),
          KEY ix_gateway_webhook_deliveries_event (event_id)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`DROP TABLE IF EXISTS gateway_webhook_deliveries`.execute(db);
      await sql`DROP TABLE IF EXISTS gateway_webhook_events`.execute(db);
      await sql`
        ALTER TABLE gateway_authorizations
          DROP KEY ix_gateway_authorizations_pending, DROP KEY ix_gateway_authorizations_created,
          DROP COLUMN metadata, DROP COLUMN expires_at, DROP COLUMN version`.execute(db);
    },
  },
};

export async function migrateGateway(db: GatewayDb): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'gateway_migration',
    migrationLockTableName: 'gateway_migration_lock',
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw new Error(`Sandbox gateway migration failed: ${(error as Error).message}`);
}
