import type { Client } from '@temporalio/client';
import { startBookingWorkflow } from '../clients/bookings';
import { type Db, fromJson } from '../db';
import { markReserved, releasePendingHold } from '../db/seat-holds';
import type { Logger } from '../observability/logger';
import { bookingTaskQueue } from '../workflows/task-queues';
import { periodic } from './periodic';

/** A PENDING hold younger than this may still have its API request in flight: leave it alone. */
export const RELAY_AFTER_MS = 15_000;
const EVERY_MS = 5_000;

export interface HoldRelayDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  holdSeconds: number;
  logger: Logger;
}

/**
 * The outbox relay for seat holds. POST /bookings commits a PENDING hold, then starts its workflow; an
 * API that dies in between leaves a hold no workflow guards. This finds such holds and finishes the
 * job: it starts the workflow (idempotent: same workflow id, same update id), or releases the hold
 * when it has already expired. Returns what it did, for tests and logs.
 */
export async function relayPendingHolds(
  deps: HoldRelayDeps,
  olderThanMs = RELAY_AFTER_MS,
): Promise<{ started: string[]; released: string[] }> {
  const pending = await deps.db
    .selectFrom('bookings')
    .innerJoin('shows', 'shows.id', 'bookings.show_id')
    .select([
      'bookings.id',
      'bookings.show_id',
      'bookings.seat_ids',
      'bookings.customer_name',
      'bookings.customer_email',
      'bookings.amount_minor',
      'bookings.currency',
      'bookings.hold_expires_at',
      'shows.starts_at',
    ])
    .where('bookings.status', '=', 'PENDING')
    .where('bookings.created_at', '<', new Date(Date.now() - olderThanMs))
    .limit(100)
    .execute();
  const done = { started: [] as string[], released: [] as string[] };
  for (const row of pending) {
    const expiresAt = row.hold_expires_at ?? new Date(0);
    try {
      if (expiresAt.getTime() <= Date.now()) {
        if (await releasePendingHold(deps.db, row.id, { status: 'EXPIRED' })) done.released.push(row.id);
        continue;
      }
      await startBookingWorkflow(deps.temporal, bookingTaskQueue(deps.taskQueue), {
        bookingId: row.id,
        showId: row.show_id,
        seatIds: fromJson<string[]>(row.seat_ids) ?? [],
        customer: { name: row.customer_name, email: row.customer_email },
        holdSeconds: deps.holdSeconds,
        hold: {
          amount: row.amount_minor,
          currency: row.currency,
          showStartsAt: row.starts_at.toISOString(),
          holdExpiresAt: expiresAt.toISOString(),
        },
      });
      await markReserved(deps.db, row.id);
      done.started.push(row.id);
    } catch (err) {
      deps.logger.warn({ err, bookingId: row.id }, 'Could not relay a pending seat hold; trying again later');
    }
  }
  if (done.started.length + done.released.length > 0) deps.logger.info(done, 'Relayed pending seat holds');
  return done;
}

/**
 * Runs the relay every few seconds until stopped (worker/periodic.ts: passes never overlap, each is
 * bounded by a deadline, and stopping waits for a pass in progress at most a few seconds).
 */
export function startHoldRelay(
  deps: HoldRelayDeps,
  timing: { everyMs?: number; olderThanMs?: number; passDeadlineMs?: number } = {},
): { stop(): Promise<void> } {
  return periodic({
    name: 'Seat hold relay',
    temporal: deps.temporal,
    logger: deps.logger,
    everyMs: timing.everyMs ?? EVERY_MS,
    passDeadlineMs: timing.passDeadlineMs,
    pass: () => relayPendingHolds(deps, timing.olderThanMs),
  });
}
