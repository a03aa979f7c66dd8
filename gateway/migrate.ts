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
