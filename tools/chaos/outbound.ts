// Outbound webhooks under chaos: every business event of the run's finished entities reached the live
// subscriber, signed, and always under the id of its first attempt. Reads only.
import type { Kysely } from 'kysely';
import { Webhook } from 'standardwebhooks';
import type { Database } from '../../db/schema';
import { webhookEventId } from '../../db/webhook-deliveries';
import type { GatewayDatabase } from '../../gateway/schema';
import type { ReceivedWebhook } from '../../test/support/webhook-receiver';
import { WEBHOOK_EVENT_TYPES } from '../../workflows/webhooks/shared';

export interface OutboundReconciliation {
  /** Events a finished entity must have produced (or that were stored) that the subscriber never got. */
  outboundEventsNotDelivered: number;
  /** Events that reached the subscriber under more than one id, or with a body id unlike its header. */
  outboundEventIdsChanged: number;
  /** Requests whose signature does not verify with the subscriber's secret. */
  outboundSignaturesInvalid: number;
  /** Requests received (retries and redeliveries included). */
  outboundRequests: number;
  /** Copies beyond the first of an event: the at-least-once window, deduped by receivers on webhook-id. */
  outboundDuplicates: number;
  problems: string[];
}

/** What each final state must have told subscribers (events on the way there may be more). */
const EXPECTED: Record<'leads' | 'bookings' | 'payments', Record<string, string[]>> = {
  leads: { COMPLETED: ['lead.completed'], FAILED: ['lead.failed'] },
  bookings: {
    CONFIRMED: ['booking.reserved', 'booking.confirmed'],
    CANCELLED: ['booking.reserved', 'booking.cancelled'],
    EXPIRED: ['booking.reserved', 'booking.expired'],
  },
  payments: {
    CAPTURED: ['payment.captured'],
    PARTIALLY_REFUNDED: ['payment.captured'],
    REFUNDED: ['payment.captured'],
    DECLINED: ['payment.failed'],
    FAILED: ['payment.failed'],
  },
};

export async function reconcileOutbound(
  db: Kysely<Database & GatewayDatabase>,
  received: ReceivedWebhook[],
  secret: string,
): Promise<OutboundReconciliation> {
  const result: OutboundReconciliation = {
    outboundEventsNotDelivered: 0,
    outboundEventIdsChanged: 0,
    outboundSignaturesInvalid: 0,
    outboundRequests: received.length,
    outboundDuplicates: 0,
    problems: [],
  };
  const problem = (row: keyof OutboundReconciliation, detail: string) => {
    (result[row] as number)++;
    if (result.problems.length < 50) result.problems.push(`${row}: ${detail}`);
  };

  const verifier = new Webhook(secret);
  const seen = new Map<string, number>();
  const idsByEvent = new Map<string, Set<string>>();
  for (const request of received) {
    let event: { id: string; type: string; data: { id?: string } };
    try {
      event = verifier.verify(request.body, request.headers as Record<string, string>) as typeof event;
    } catch (err) {
      problem('outboundSignaturesInvalid', `${request.headers['webhook-id']}: ${(err as Error).message}`);
      continue;
    }
    if (event.id !== request.headers['webhook-id'])
      problem('outboundEventIdsChanged', `body id ${event.id}, header ${request.headers['webhook-id']}`);
    seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
    // One event per entity and type (a payment's refunds are told apart by their refund, not checked here).
    if (event.type !== 'payment.refunded' && event.type !== 'ping') {
      const key = `${event.type} ${event.data.id}`;
      idsByEvent.set(key, (idsByEvent.get(key) ?? new Set()).add(event.id));
    }
  }
  for (const count of seen.values()) result.outboundDuplicates += count - 1;
  for (const [key, ids] of idsByEvent)
    if (ids.size > 1) problem('outboundEventIdsChanged', `${key} arrived as ${[...ids].join(', ')}`);

  const expected = new Set<string>();
  for (const table of ['leads', 'bookings', 'payments'] as const) {
    const rows = await db.selectFrom(table).select(['id', 'status']).execute();
    for (const row of rows)
      for (const type of EXPECTED[table][row.status] ?? []) expected.add(`${type} ${row.id}`);
  }
  for (const key of expected) {
    const [type, entityId] = key.split(' ') as [string, string];
    if (!seen.has(webhookEventId({ type, entityId }))) problem('outboundEventsNotDelivered', key);
  }
  const stored = await db.selectFrom('webhook_events').select(['id', 'type', 'entity_id']).execute();
  for (const event of stored)
    if (!seen.has(event.id) && !expected.has(`${event.type} ${event.entity_id}`))
      problem('outboundEventsNotDelivered', `${event.type} ${event.entity_id} (stored as ${event.id})`);
  return result;
}

/** Subscribes the run's receiver to every business event through the API; returns its secret. */
export async function subscribeReceiver(
  apiUrl: string,
  url: string,
): Promise<{ id: string; secret: string }> {
  const response = await fetch(`${apiUrl}/api/v1/webhook-endpoints`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url, events: WEBHOOK_EVENT_TYPES, description: 'chaos subscriber' }),
  });
  if (response.status !== 201)
    throw new Error(`subscribing the receiver: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; secret: string };
}

/** Waits (at most `ms`) until no delivery is pending; returns how many still are. */
export async function untilDelivered(db: Kysely<Database & GatewayDatabase>, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const row = await db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    if (Number(row.n) === 0 || Date.now() > deadline) return Number(row.n);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}
