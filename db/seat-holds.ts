import type { Db } from '.';
import { toJson } from '.';
import { recordEntityEvent } from './entity-events';

/**
 * A hold whose time ran out is normally released by its workflow's timer at once. If that workflow is
 * late (no worker running), another booking may take the seats over this long after expiry.
 */
export const HOLD_TAKEOVER_GRACE_MS = 60_000;

/** A request to hold seats: the booking it makes, and the workflow that will own it. */
export interface HoldRequest {
  bookingId: string;
  /** The booking workflow's id, stored on the row (the data layer does not make workflow ids). */
  workflowId: string;
  showId: number;
  seatIds: string[];
  customer: { name: string; email: string };
  holdExpiresAt: string;
  /** The booking row's status on success (see `holdSeats`). */
  status: 'PENDING' | 'RESERVED';
}

/** What a decided hold carries into the booking workflow. */
export interface HeldSeats {
  amount: number;
  currency: string;
  showStartsAt: string;
  holdExpiresAt: string;
}

export type HoldOutcome =
  | ({ outcome: 'held' } & HeldSeats)
  | { outcome: 'taken'; takenSeatIds: string[] }
  | {
      outcome: 'refused';
      type: 'ShowNotFound' | 'ShowStarted' | 'SeatNotFound' | 'HoldContention';
      message: string;
      unknownSeatIds?: string[];
    };

const ATTEMPTS = 5;
const errorCode = (err: unknown) => (err as { code?: string }).code;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Holds seats in MySQL, all or none. The primary key (show_id, seat_label) of seat_holds is what makes a
 * double booking impossible, whatever the interleaving and however many processes run: the hold inserts
 * all its rows and its booking row in one transaction, so it gets every seat or none. A loser's booking
 * row is recorded as REJECTED (so a retry with the same Idempotency-Key answers the same).
 *
 * `status` is the booking row's status on success: PENDING when the API decides the race before the
 * workflow exists (the outbox relay finishes what a dead API left), RESERVED for the older path where
 * the workflow's activity held the seats.
 */
export async function holdSeats(db: Db, input: HoldRequest): Promise<HoldOutcome> {
  const seatIds = [...new Set(input.seatIds)].sort();
  // The show and the requested seats of its screen in one round trip (every racer pays it).
  const rows = await db
    .selectFrom('shows')
    .leftJoin('seats', (join) =>
      join.onRef('seats.screen_id', '=', 'shows.screen_id').on('seats.label', 'in', seatIds),
    )
    .select(['shows.starts_at', 'shows.price_minor', 'shows.currency', 'seats.label'])
    .where('shows.id', '=', input.showId)
    .execute();
  const show = rows[0];
  if (!show)
    return { outcome: 'refused', type: 'ShowNotFound', message: `Show ${input.showId} does not exist` };
  if (show.starts_at.getTime() <= Date.now()) {
    return { outcome: 'refused', type: 'ShowStarted', message: `Show ${input.showId} has already started` };
  }
  const known = rows.filter((row) => row.label !== null);
  const unknown = seatIds.filter((id) => !known.some((seat) => seat.label === id));
  if (unknown.length > 0) {
    return {
      outcome: 'refused',
      type: 'SeatNotFound',
      message: `Show ${input.showId} has no seat ${unknown.join(', ')}`,
      unknownSeatIds: unknown,
    };
  }

  const held = {
    outcome: 'held' as const,
    amount: show.price_minor * seatIds.length,
    currency: show.currency,
    showStartsAt: show.starts_at.toISOString(),
    holdExpiresAt: input.holdExpiresAt,
  };
  const booking = {
    id: input.bookingId,
    workflow_id: input.workflowId,
    show_id: input.showId,
    seat_ids: toJson(seatIds),
    customer_name: input.customer.name,
    customer_email: input.customer.email,
    amount_minor: held.amount,
    currency: held.currency,
    hold_expires_at: new Date(input.holdExpiresAt),
  };

  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      return await db
        .transaction()
        .setIsolationLevel('read committed')
        .execute(async (trx) => {
          const mine = await trx
            .selectFrom('seat_holds')
            .select('seat_label')
            .where('booking_id', '=', input.bookingId)
            .execute();
          if (mine.length === seatIds.length) {
            // An earlier attempt (or request) committed this hold: answer with its expiry.
            const row = await trx
              .selectFrom('bookings')
              .select('hold_expires_at')
              .where('id', '=', input.bookingId)
              .executeTakeFirst();
            return { ...held, holdExpiresAt: row?.hold_expires_at?.toISOString() ?? held.holdExpiresAt };
          }
          await trx
            .deleteFrom('seat_holds')
            .where('show_id', '=', input.showId)
            .where('seat_label', 'in', seatIds)
            .where('status', '=', 'HELD')
            .where('expires_at', '<', new Date(Date.now() - HOLD_TAKEOVER_GRACE_MS))
            .execute();
          await trx
            .insertInto('seat_holds')
            .values(
              seatIds.map((seat) => ({
                show_id: input.showId,
                seat_label: seat,
                booking_id: input.bookingId,
                status: 'HELD' as const,
                expires_at: booking.hold_expires_at,
              })),
            )
            .execute();
          await trx
            .insertInto('bookings')
            .values({ ...booking, status: input.status, taken_seat_ids: null })
            .execute();
          return held;
        });
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ER_DUP_ENTRY') {
        const taken = await db
          .selectFrom('seat_holds')
          .select('seat_label')
          .where('show_id', '=', input.showId)
          .where('seat_label', 'in', seatIds)
          .where('booking_id', '!=', input.bookingId)
          .execute();
        if (taken.length === 0) continue; // released in the meantime: try again
        const takenSeatIds = taken.map((t) => t.seat_label).sort();
        await db
          .insertInto('bookings')
          .ignore()
          .values({
            ...booking,
            hold_expires_at: null,
            status: 'REJECTED',
            taken_seat_ids: toJson(takenSeatIds),
            error_type: 'SeatsUnavailable',
            error_message: `Seats ${takenSeatIds.join(', ')} are taken`,
          })
          .execute();
        return { outcome: 'taken', takenSeatIds };
      }
      // Contention between concurrent holds: back off a little and go again.
      if (code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT') {
        await pause(10 + Math.random() * 40 * attempt);
        continue;
      }
      throw err;
    }
  }
  return {
    outcome: 'refused',
    type: 'HoldContention',
    message: `Could not hold seats after ${ATTEMPTS} tries under contention`,
  };
}

/**
 * Undoes a PENDING hold whose workflow never started (a failed start, or an expired hold the relay
 * found): frees its seats. Only a booking still PENDING is touched, so a workflow that did start and
 * moved on keeps what it has. `drop` deletes the booking row too (a retry may then hold afresh).
 */
export async function releasePendingHold(
  db: Db,
  bookingId: string,
  outcome: { drop: true } | { status: 'EXPIRED' },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const changed =
      'drop' in outcome
        ? await trx
            .deleteFrom('bookings')
            .where('id', '=', bookingId)
            .where('status', '=', 'PENDING')
            .executeTakeFirst()
        : await trx
            .updateTable('bookings')
            .set({ status: outcome.status, updated_at: new Date() })
            .where('id', '=', bookingId)
            .where('status', '=', 'PENDING')
            .executeTakeFirst();
    const rows = Number('numDeletedRows' in changed ? changed.numDeletedRows : changed.numUpdatedRows);
    if (rows === 0) return false;
    await trx.deleteFrom('seat_holds').where('booking_id', '=', bookingId).execute();
    if ('status' in outcome) {
      await recordEntityEvent(trx, { entityType: 'booking', entityId: bookingId, status: outcome.status });
    }
    return true;
  });
}

/** The API or the relay started the workflow of a PENDING hold: the booking is RESERVED. */
export async function markReserved(db: Db, bookingId: string): Promise<void> {
  const result = await db
    .updateTable('bookings')
    .set({ status: 'RESERVED', updated_at: new Date() })
    .where('id', '=', bookingId)
    .where('status', '=', 'PENDING')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) > 0) {
    await recordEntityEvent(db, { entityType: 'booking', entityId: bookingId, status: 'RESERVED' });
  }
}
