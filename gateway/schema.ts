import type { ColumnType, Generated, Kysely } from 'kysely';

export type AuthorizationStatus =
  | 'pending'
  | 'authorized'
  | 'declined'
  | 'expired'
  | 'captured'
  | 'voided'
  | 'partially_refunded'
  | 'refunded';

export interface GatewayAuthorizationsTable {
  id: string;
  amount: number;
  currency: string;
  payment_method: string;
  reference: string | null;
  status: AuthorizationStatus;
  captured: number;
  refunded: number;
  decline_code: string | null;
  /** The merchant's own keys (Troupe puts its payment id here), as PSPs' metadata / notes. */
  metadata: ColumnType<unknown, string | null | undefined, string | null>;
  /** Pending (asynchronous) authorizations lapse at this time unless the customer acts. */
  expires_at: Date | null;
  /** Grows with every change; events carry it so receivers can drop stale ones. */
  version: ColumnType<number, number | undefined, number>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date | undefined>;
}

export interface GatewayLedgerTable {
  id: Generated<number>;
  authorization_id: string;
  kind: 'authorize' | 'capture' | 'void' | 'refund';
  amount: number;
  idempotency_key: string;
  created_at: ColumnType<Date, never, never>;
}

export interface GatewayIdempotencyTable {
  idem_key: string;
  request_hash: string;
  status_code: number;
  response: ColumnType<unknown, string | null, string | null>;
  created_at: ColumnType<Date, never, never>;
}

/** The outbox of webhook events: written in the same transaction as the change they announce. */
export interface GatewayWebhookEventsTable {
  id: string;
  type: string;
  authorization_id: string;
  payload: ColumnType<unknown, string, never>;
  created_at: ColumnType<Date, never, never>;
}

/** One row per event and endpoint: retried with backoff until the endpoint answers 2xx. */
export interface GatewayWebhookDeliveriesTable {
  id: Generated<number>;
  event_id: string;
  url: string;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Date;
  delivered_at: Date | null;
  failed_at: Date | null;
  last_status: number | null;
  last_error: string | null;
}

export interface GatewayDatabase {
  gateway_authorizations: GatewayAuthorizationsTable;
  gateway_ledger: GatewayLedgerTable;
  gateway_idempotency: GatewayIdempotencyTable;
  gateway_webhook_events: GatewayWebhookEventsTable;
  gateway_webhook_deliveries: GatewayWebhookDeliveriesTable;
}

export type GatewayDb = Kysely<GatewayDatabase>;
