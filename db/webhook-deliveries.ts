// The events Troupe emitted and their deliveries: one row per event (the exact bytes every attempt
// sends), one per event and endpoint (its state), and one per attempt (the delivery log).
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '.';
import type { WebhookDeliveryStatus } from './schema';

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\n')).digest('hex');
/** Derived from what the workflow emitted, so a retried (or replayed) emit is the same event. */
export const webhookEventId = (e: { type: string; entityId: string; discriminator?: string }) =>
  `evt_${hash(e.type, e.entityId, e.discriminator ?? '').slice(0, 32)}`;
/** One delivery per event and endpoint: its id says which. */
export const webhookDeliveryId = (eventId: string, endpointId: string) =>
  `dlv_${hash(eventId, endpointId).slice(0, 32)}`;

export interface StoredWebhookEvent {
  id: string;
  type: string;
  entityId: string;
  occurredAt: Date;
  /** The JSON body, serialized once. */
  body: string;
}

/** Stores the event unless it is known (a retried publish): every delivery sends the first body. */
export async function insertWebhookEvent(db: Db, event: StoredWebhookEvent): Promise<void> {
  await db
    .insertInto('webhook_events')
    .ignore()
    .values({
      id: event.id,
      type: event.type,
      entity_id: event.entityId,
      occurred_at: event.occurredAt,
      payload: event.body,
    })
    .execute();
}

/** One delivery per event and endpoint, whatever the retries. */
export async function insertDelivery(
  db: Db,
  delivery: { id: string; endpointId: string; eventId: string },
): Promise<void> {
  await db
    .insertInto('webhook_deliveries')
    .ignore()
    .values({
      id: delivery.id,
      endpoint_id: delivery.endpointId,
      event_id: delivery.eventId,
      status: 'pending',
      next_attempt_at: sql<Date>`NOW(3)`,
    })
    .execute();
}

/** What an attempt needs: the delivery, its event's body, its endpoint (undefined once deleted). */
export async function deliveryToAttempt(db: Db, deliveryId: string) {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .leftJoin('webhook_endpoints as p', (join) =>
      join.onRef('p.id', '=', 'd.endpoint_id').on('p.deleted_at', 'is', null),
    )
    .select([
      'd.id',
      'd.event_id as eventId',
      'd.endpoint_id as endpointId',
      sql<string>`CAST(e.payload AS CHAR)`.as('body'),
      'p.url',
      'p.enabled',
      'p.secret',
      'p.previous_secret as previousSecret',
      'p.previous_secret_until as previousSecretUntil',
    ])
    .where('d.id', '=', deliveryId)
    .executeTakeFirst();
}

/** Opens an attempt before the request goes out, so one cut short by a crash still shows in the log. */
export async function beginAttempt(db: Db, deliveryId: string): Promise<number> {
  await sql`
    INSERT INTO webhook_attempts (delivery_id, attempt, latency_ms, error)
    SELECT ${deliveryId}, COALESCE(MAX(attempt), 0) + 1, 0, ${INTERRUPTED}
    FROM webhook_attempts WHERE delivery_id = ${deliveryId}
  `.execute(db);
  const row = await db
    .selectFrom('webhook_attempts')
    .select((eb) => eb.fn.max('attempt').as('attempt'))
    .where('delivery_id', '=', deliveryId)
    .executeTakeFirstOrThrow();
  return Number(row.attempt);
}

/** What an attempt shows until its outcome is written: the process stopped while it was in flight. */
export const INTERRUPTED = 'no outcome recorded: the worker stopped during this attempt';

export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseBody: string | null;
  /** The delivery's state after this attempt, and when the next one is due (retry). */
  status: WebhookDeliveryStatus;
  nextAttemptAt: Date | null;
}

/** Writes an attempt's outcome and the delivery's new state in one transaction. */
export async function finishAttempt(db: Db, record: AttemptRecord): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx
      .updateTable('webhook_attempts')
      .set({
        status_code: record.statusCode,
        latency_ms: record.latencyMs,
        error: record.error?.slice(0, 500) ?? null,
        response_body: record.responseBody,
      })
      .where('delivery_id', '=', record.deliveryId)
      .where('attempt', '=', record.attempt)
      .execute();
    await tx
      .updateTable('webhook_deliveries')
      .set({
        status: record.status,
        attempts: record.attempt,
        next_attempt_at: record.nextAttemptAt,
        last_status: record.statusCode,
        last_error: record.error?.slice(0, 500) ?? null,
      })
      .where('id', '=', record.deliveryId)
      .execute();
  });
}

/** Ends a delivery without an attempt (its endpoint was disabled or deleted meanwhile). */
export async function closeDelivery(
  db: Db,
  deliveryId: string,
  status: WebhookDeliveryStatus,
  error: string,
): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status, next_attempt_at: null, last_error: error })
    .where('id', '=', deliveryId)
    .execute();
}

/** A redelivery starts: the delivery is pending again. */
export async function reopenDelivery(db: Db, deliveryId: string): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: sql<Date>`NOW(3)` })
    .where('id', '=', deliveryId)
    .execute();
}

export async function findDelivery(db: Db, endpointId: string, deliveryId: string) {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select(['d.id', 'd.event_id', 'd.endpoint_id', 'd.status', 'd.attempts', 'd.next_attempt_at'])
    .select(['d.last_status', 'd.last_error', 'd.created_at', 'd.updated_at', 'e.type'])
    .where('d.id', '=', deliveryId)
    .where('d.endpoint_id', '=', endpointId)
    .executeTakeFirst();
}
export type DeliveryRow = NonNullable<Awaited<ReturnType<typeof findDelivery>>>;

/** An endpoint's deliveries, newest first, keyset-paginated on (created_at, id). */
export async function listDeliveries(
  db: Db,
  endpointId: string,
  limit: number,
  before?: [Date, string],
): Promise<DeliveryRow[]> {
  let query = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select(['d.id', 'd.event_id', 'd.endpoint_id', 'd.status', 'd.attempts', 'd.next_attempt_at'])
    .select(['d.last_status', 'd.last_error', 'd.created_at', 'd.updated_at', 'e.type'])
    .where('d.endpoint_id', '=', endpointId)
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id', 'desc')
    .limit(limit);
  if (before) {
    const [at, id] = before;
    query = query.where((eb) =>
      eb.or([eb('d.created_at', '<', at), eb.and([eb('d.created_at', '=', at), eb('d.id', '<', id)])]),
    );
  }
  return query.execute();
}

/** Every attempt of these deliveries, oldest first. */
export async function attemptsOf(db: Db, deliveryIds: string[]) {
  if (deliveryIds.length === 0) return [];
  return db
    .selectFrom('webhook_attempts')
    .select(['delivery_id', 'attempt', 'status_code', 'latency_ms', 'error', 'response_body', 'attempted_at'])
    .where('delivery_id', 'in', deliveryIds)
    .orderBy('delivery_id')
    .orderBy('attempt')
    .execute();
}

/** For metrics: deliveries by status, and how long the oldest still-pending one has waited. */
export async function deliveryStats(db: Db) {
  const byStatus = await db
    .selectFrom('webhook_deliveries')
    .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy('status')
    .execute();
  const oldest = await db
    .selectFrom('webhook_deliveries')
    .select(sql<number | null>`TIMESTAMPDIFF(MICROSECOND, MIN(created_at), NOW(3)) / 1e6`.as('age'))
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return {
    byStatus: Object.fromEntries(byStatus.map((r) => [r.status, Number(r.count)])),
    oldestPendingSeconds: oldest?.age == null ? 0 : Number(oldest.age),
  };
}
