import { type Kysely, sql } from 'kysely';

/**
 * Every webhook event the payment gateway sent, stored (by its event id) before it is answered: a
 * duplicate has no second effect, and an event that could not be handed to its payment yet (Temporal
 * away, the API gone) is forwarded later by the worker. Events for payments Troupe does not know are
 * kept too, as `unmatched`, for reconciliation.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE gateway_events (
      event_id         VARCHAR(100) NOT NULL PRIMARY KEY,
      type             VARCHAR(40)  NOT NULL,
      authorization_id VARCHAR(100) NOT NULL,
      payment_id       VARCHAR(64)  NULL,
      status           VARCHAR(16)  NOT NULL,
      payload          JSON         NOT NULL,
      received_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      forwarded_at     DATETIME(3)  NULL,
      KEY ix_gateway_events_status (status, received_at),
      KEY ix_gateway_events_payment (payment_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS gateway_events`.execute(db);
}
