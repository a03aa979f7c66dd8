// The payment gateway's webhook events as Troupe stores them: recorded once by event id before the
// API answers, then marked when handed to their payment workflow (or found to match no payment).
import { sql } from 'kysely';
import type { Db } from '.';
import type { GatewayEventStatus } from './schema';

export interface StoredEvent {
  eventId: string;
  type: string;
  authorizationId: string;
  paymentId: string | null;
  payload: unknown;
}

/** Stores an event unless it is known; `first` says whether this delivery is the first of it. */
export async function recordGatewayEvent(
  db: Db,
  event: StoredEvent & { status: GatewayEventStatus },
): Promise<{ first: boolean }> {
  const result = await db
    .insertInto('gateway_events')
    .ignore()
    .values({
      event_id: event.eventId,
      type: event.type,
      authorization_id: event.authorizationId,
      payment_id: event.paymentId,
      status: event.status,
      payload: JSON.stringify(event.payload),
      forwarded_at: null,
    })
    .executeTakeFirst();
  return { first: Number(result.numInsertedOrUpdatedRows ?? 0) === 1 };
}

/** The event was handed to its payment (`forwarded`), or there is no such payment (`unmatched`). */
export async function markGatewayEvent(
  db: Db,
  eventId: string,
  status: 'forwarded' | 'unmatched',
): Promise<void> {
  await db
    .updateTable('gateway_events')
    .set({ status, forwarded_at: sql<Date>`NOW(3)` })
    .where('event_id', '=', eventId)
    .where('status', '=', 'received')
    .execute();
}

/** Stored events, newest first (optionally of one status): what `GET /api/v1/webhooks/gateway/events` lists. */
export async function listGatewayEvents(db: Db, options: { status?: GatewayEventStatus; limit: number }) {
  let query = db
    .selectFrom('gateway_events')
    .select(['event_id', 'type', 'authorization_id', 'payment_id', 'status', 'received_at', 'forwarded_at'])
    .orderBy('received_at', 'desc')
    .limit(options.limit);
  if (options.status) query = query.where('status', '=', options.status);
  return query.execute();
}

/** Events stored but not handed over for at least `olderThanMs`: the worker's relay forwards them. */
export async function eventsToForward(db: Db, olderThanMs: number, limit = 100) {
  return db
    .selectFrom('gateway_events')
    .select(['event_id', 'payment_id', 'payload'])
    .where('status', '=', 'received')
    .where('received_at', '<', new Date(Date.now() - olderThanMs))
    .orderBy('received_at')
    .limit(limit)
    .execute();
}
