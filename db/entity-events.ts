import type { Db } from '.';
import { toJson } from '.';

export type EntityType = 'lead' | 'booking' | 'import';

export interface EntityEvent {
  /** The stream's event id: increasing, and increasing in commit order for one entity. */
  id: string;
  entityType: EntityType;
  entityId: string;
  status: string;
  data: unknown;
  createdAt: Date;
}

/**
 * Appends a state change to the change log the API's live streams read (db migration 008). Written
 * by whoever changes the state, after the change: a stream never shows a state MySQL does not hold.
 */
export async function recordEntityEvent(
  db: Db,
  event: { entityType: EntityType; entityId: string; status: string; data?: unknown },
): Promise<void> {
  await db
    .insertInto('entity_events')
    .values({
      entity_type: event.entityType,
      entity_id: event.entityId,
      status: event.status,
      data: event.data === undefined ? null : toJson(event.data),
    })
    .execute();
}
