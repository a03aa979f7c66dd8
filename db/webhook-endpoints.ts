// Webhook endpoints as stored: the URL, the event types, the sealed signing secret (and during a
// rotation the previous one, until a deadline), and whether it is enabled, or why not.
import { sql } from 'kysely';
import type { Db } from '.';
import type { WebhookEndpointsTable } from './schema';

export type EndpointRow = Pick<
  WebhookEndpointsTable,
  | 'id'
  | 'url'
  | 'description'
  | 'secret'
  | 'previous_secret'
  | 'previous_secret_until'
  | 'disabled_reason'
  | 'failing_since'
> & { events: string[]; enabled: boolean; created_at: Date; updated_at: Date };

const live = (db: Db) => db.selectFrom('webhook_endpoints').selectAll().where('deleted_at', 'is', null);

function toRow(row: Awaited<ReturnType<ReturnType<typeof live>['executeTakeFirstOrThrow']>>): EndpointRow {
  const events = typeof row.events === 'string' ? JSON.parse(row.events) : row.events;
  return { ...row, events: events as string[], enabled: Boolean(row.enabled) };
}

export async function insertEndpoint(
  db: Db,
  endpoint: { id: string; url: string; description: string | null; events: string[]; secret: string },
): Promise<void> {
  await db
    .insertInto('webhook_endpoints')
    .values({ ...endpoint, events: JSON.stringify(endpoint.events) })
    .execute();
}

export async function findEndpoint(db: Db, id: string): Promise<EndpointRow | undefined> {
  const row = await live(db).where('id', '=', id).executeTakeFirst();
  return row && toRow(row);
}

/** Oldest first, keyset-paginated on (created_at, id). */
export async function listEndpoints(db: Db, limit: number, after?: [Date, string]): Promise<EndpointRow[]> {
  let query = live(db).orderBy('created_at').orderBy('id').limit(limit);
  if (after) {
    const [at, id] = after;
    query = query.where((eb) =>
      eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', id)])]),
    );
  }
  return (await query.execute()).map(toRow);
}

/** Enabled endpoints that asked for `type` (`ping` goes only where it is sent, never through here). */
export async function subscribedEndpoints(db: Db, type: string): Promise<EndpointRow[]> {
  const rows = await live(db)
    .where('enabled', '=', 1)
    .where(sql<boolean>`JSON_CONTAINS(events, JSON_QUOTE(${type}))`)
    .execute();
  return rows.map(toRow);
}

export async function updateEndpoint(
  db: Db,
  id: string,
  changes: { url?: string; description?: string | null; events?: string[]; enabled?: boolean },
): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({
      ...(changes.url !== undefined && { url: changes.url }),
      ...(changes.description !== undefined && { description: changes.description }),
      ...(changes.events !== undefined && { events: JSON.stringify(changes.events) }),
      // Turned back on: its failing streak starts over.
      ...(changes.enabled === true && { enabled: 1, disabled_reason: null, failing_since: null }),
      ...(changes.enabled === false && { enabled: 0, disabled_reason: 'disabled through the API' }),
    })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .execute();
}

export async function deleteEndpoint(db: Db, id: string): Promise<boolean> {
  const result = await db
    .updateTable('webhook_endpoints')
    .set({ deleted_at: sql<Date>`NOW(3)`, enabled: 0 })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The new secret signs from now on; the current one keeps signing beside it until `until`. */
export async function rotateSecret(db: Db, id: string, sealedSecret: string, until: Date): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({
      previous_secret: sql<string>`secret`,
      previous_secret_until: until,
      secret: sealedSecret,
    })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .execute();
}

/** A delivery succeeded: the endpoint is healthy again. */
export async function markEndpointHealthy(db: Db, id: string): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({ failing_since: null })
    .where('id', '=', id)
    .where('failing_since', 'is not', null)
    .execute();
}

/**
 * A delivery failed: starts the failing streak, and disables the endpoint once every delivery has
 * failed for `disableAfterMs` (or at once, with `reason`, when the receiver answered 410 Gone).
 * Returns whether it is now disabled.
 */
export async function markEndpointFailing(
  db: Db,
  id: string,
  options: { disableAfterMs: number; goneReason?: string },
): Promise<boolean> {
  await db
    .updateTable('webhook_endpoints')
    .set({ failing_since: sql<Date>`COALESCE(failing_since, NOW(3))` })
    .where('id', '=', id)
    .execute();
  const seconds = options.disableAfterMs / 1000;
  const reason =
    options.goneReason ??
    sql<string>`CONCAT('every delivery failed since ', DATE_FORMAT(failing_since, '%Y-%m-%dT%H:%i:%sZ'), ' (WEBHOOK_DISABLE_AFTER_SECONDS=', ${seconds}, ')')`;
  const result = await db
    .updateTable('webhook_endpoints')
    .set({ enabled: 0, disabled_reason: reason })
    .where('id', '=', id)
    .where('enabled', '=', 1)
    .where((eb) =>
      options.goneReason
        ? eb.val(true)
        : eb('failing_since', '<=', sql<Date>`NOW(3) - INTERVAL ${seconds} SECOND`),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
