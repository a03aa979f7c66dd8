import { type Kysely, sql } from 'kysely';

/**
 * Mail deliveries become a claim-then-mark protocol (activities/mail/send-once.ts): a row is
 * committed as SENDING, with a lease, before the SMTP send, and marked SENT right after it. No
 * connection or lock is held across the network call. Rows written before this are deliveries that
 * happened: they become SENT.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE mail_deliveries
      MODIFY sent_at DATETIME(3) NULL,
      ADD COLUMN status        VARCHAR(16)  NOT NULL DEFAULT 'SENT' AFTER message_key,
      ADD COLUMN claim_token   VARCHAR(255) NULL,
      ADD COLUMN claimed_until DATETIME(3)  NULL,
      ADD COLUMN send_attempts INT UNSIGNED NOT NULL DEFAULT 1,
      ADD COLUMN last_error    VARCHAR(500) NULL,
      ADD COLUMN created_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
  `.execute(db);
  await sql`ALTER TABLE mail_deliveries ALTER COLUMN status SET DEFAULT 'SENDING'`.execute(db);
  await sql`ALTER TABLE mail_deliveries ALTER COLUMN send_attempts SET DEFAULT 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM mail_deliveries WHERE status <> 'SENT'`.execute(db);
  await sql`
    ALTER TABLE mail_deliveries
      DROP COLUMN status, DROP COLUMN claim_token, DROP COLUMN claimed_until,
      DROP COLUMN send_attempts, DROP COLUMN last_error, DROP COLUMN created_at,
      MODIFY sent_at DATETIME(3) NOT NULL
  `.execute(db);
}
