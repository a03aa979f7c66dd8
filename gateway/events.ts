// The sandbox's webhook events: written to an outbox in the same transaction as the change they
// announce (so no change is ever left unannounced), then delivered by gateway/webhooks.ts. Signed as
// PSPs sign theirs: HMAC-SHA256 over "<timestamp>.<raw body>", in a Stripe-style header.
import { createHmac, randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { GatewayDatabase } from './schema';

export const EVENT_TYPES = [
  'payment.authorized',
  'payment.captured',
  'payment.failed',
  'payment.voided',
  'refund.processed',
  'refund.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The header carrying `t=<unix seconds>,v1=<hex signature>[,v1=<another>]`. */
export const SIGNATURE_HEADER = 'Sandbox-Signature';
export const EVENT_ID_HEADER = 'Sandbox-Event-Id';

/** `v1` signature of a body sent at `timestamp` (seconds). */
export function signature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The header value for a body: one `v1` per secret (several during a rotation). */
export function signatureHeader(secrets: string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${signature(secret, timestamp, body)}`)].join(',');
}

export interface EventData {
  /** The authorization as `GET /v1/authorizations/:id` shows it, after the change. */
  object: unknown;
  /** For refund events: the refund, with the idempotency key the merchant sent. */
  refund?: { id: string; amount: number; status: 'succeeded' | 'failed'; idempotency_key: string };
}

export type Emit = (
  trx: Transaction<GatewayDatabase>,
  type: EventType,
  authorizationId: string,
  data: EventData,
) => Promise<void>;

/** Records an event for every configured endpoint, inside the caller's transaction. */
export function eventOutbox(urls: () => string[]): Emit {
  return async (trx, type, authorizationId, data) => {
    const id = `evt_${randomBytes(12).toString('hex')}`;
    const payload = { id, object: 'event', type, created: Math.floor(Date.now() / 1000), data };
    await trx
      .insertInto('gateway_webhook_events')
      .values({ id, type, authorization_id: authorizationId, payload: JSON.stringify(payload) })
      .execute();
    const targets = urls();
    if (targets.length === 0) return;
    await trx
      .insertInto('gateway_webhook_deliveries')
      .values(targets.map((url) => ({ event_id: id, url, next_attempt_at: new Date() })))
      .execute();
  };
}
