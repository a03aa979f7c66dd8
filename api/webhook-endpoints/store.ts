import type { Db } from '../../db';
import { attemptsOf, type DeliveryRow, listDeliveries } from '../../db/webhook-deliveries';
import type { EndpointRow } from '../../db/webhook-endpoints';
import type { WebhookEventType } from '../../workflows/webhooks/shared';
import { decodeCursor, encodeCursor } from '../http/cursor';
import type { EndpointView } from './schemas';

export function endpointView(row: EndpointRow): EndpointView {
  const rotating = row.previous_secret_until && row.previous_secret_until > new Date();
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events as WebhookEventType[],
    enabled: row.enabled,
    disabledReason: row.enabled ? null : row.disabled_reason,
    failingSince: row.failing_since?.toISOString() ?? null,
    rotation: rotating ? { previousSecretUntil: (row.previous_secret_until as Date).toISOString() } : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** A page of an endpoint's deliveries, newest first, each with its attempts (the delivery log). */
export async function deliveryPage(db: Db, endpointId: string, limit: number, cursor?: string) {
  const before = cursor ? decodeCursor(cursor) : undefined;
  const rows = await listDeliveries(db, endpointId, limit + 1, before && [new Date(before[0]), before[1]]);
  const page = rows.slice(0, limit);
  const attempts = await attemptsOf(
    db,
    page.map((d) => d.id),
  );
  const last = page[page.length - 1];
  return {
    items: page.map((d) => deliveryView(d, attempts)),
    nextCursor: rows.length > limit && last ? encodeCursor([last.created_at.toISOString(), last.id]) : null,
  };
}

function deliveryView(d: DeliveryRow, attempts: Awaited<ReturnType<typeof attemptsOf>>) {
  return {
    id: d.id,
    eventId: d.event_id,
    eventType: d.type,
    status: d.status,
    attempts: attempts
      .filter((a) => a.delivery_id === d.id)
      .map((a) => ({
        attempt: a.attempt,
        statusCode: a.status_code,
        latencyMs: a.latency_ms,
        error: a.error,
        responseBody: a.response_body,
        attemptedAt: a.attempted_at.toISOString(),
      })),
    nextAttemptAt: d.next_attempt_at?.toISOString() ?? null,
    createdAt: d.created_at.toISOString(),
    updatedAt: d.updated_at.toISOString(),
  };
}
