import type { ColumnType, Generated, Kysely } from 'kysely';

export interface GatewayAuthorizationsTable {
  id: string;
  amount: number;
  currency: string;
  payment_method: string;
  reference: string | null;
  status: 'authorized' | 'declined' | 'captured' | 'voided' | 'partially_refunded' | 'refunded';
  captured: number;
  refunded: number;
  decline_code: string | null;
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

export interface GatewayDatabase {
  gateway_authorizations: GatewayAuthorizationsTable;
  gateway_ledger: GatewayLedgerTable;
  gateway_idempotency: GatewayIdempotencyTable;
}

export type GatewayDb = Kysely<GatewayDatabase>;
