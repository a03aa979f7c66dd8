import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../../db';
import { fromJson, toJson } from '../../db';
import { type BookingInput, bookingWorkflowId, HOLD_TAKEOVER_GRACE_MS } from '../../workflows/booking/shared';

export type HoldSeatsResult =
  | { outcome: 'held'; amount: number; currency: string; showStartsAt: string }
  | { outcome: 'taken'; takenSeatIds: string[] };

type FinalStatus = 'EXPIRED' | 'CANCELLED' | 'FAILED';

const ATTEMPTS = 5;
const errorCode = (err: unknown) => (err as { code?: string }).code;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Seat holds in MySQL. The primary key (show_id, seat_label) of seat_holds is what makes a double
 * booking impossible, whatever the interleaving and however many workers run: a hold inserts all its
 * rows in one transaction, so it gets every seat or none.
 */
export function createSeatActivities(db: Db) {
  return {
    async holdSeats(input: BookingInput & { holdExpiresAt: string }): Promise<HoldSeatsResult> {
      const seatIds = [...new Set(input.seatIds)].sort();
      const show = await db
        .selectFrom('shows')
        .select(['screen_id', 'starts_at', 'price_minor', 'currency'])
        .where('id', '=', input.showId)
        .executeTakeFirst();
      if (!show) throw ApplicationFailure.nonRetryable(`Show ${input.showId} does not exist`, 'ShowNotFound');
      if (show.starts_at.getTime() <= Date.now()) {
        throw ApplicationFailure.nonRetryable(`Show ${input.showId} has already started`, 'ShowStarted');
      }
      const known = await db
        .selectFrom('seats')
        .select('label')
        .where('screen_id', '=', show.screen_id)
        .where('label', 'in', seatIds)
        .execute();
      const unknown = seatIds.filter((id) => !known.some((seat) => seat.label === id));
      if (unknown.length > 0) {
        throw ApplicationFailure.create({
          nonRetryable: true,
          type: 'SeatNotFound',
          message: `Show ${input.showId} has no seat ${unknown.join(', ')}`,
          details: [unknown],
        });
      }

      const held: HoldSeatsResult = {
        outcome: 'held',
        amount: show.price_minor * seatIds.length,
        currency: show.currency,
        showStartsAt: show.starts_at.toISOString(),
      };
      const booking = {
        id: input.bookingId,
        workflow_id: bookingWorkflowId(input.bookingId),
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
              if (mine.length === seatIds.length) return held; // an earlier attempt of this activity committed
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
                .values({ ...booking, status: 'RESERVED', taken_seat_ids: null })
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
      throw ApplicationFailure.retryable(
        `Could not hold seats after ${ATTEMPTS} tries under contention`,
        'HoldContention',
      );
    },

    /** Turns the booking's holds into bookings; refuses if any seat was lost (a late confirmation). */
    async confirmSeats({ bookingId, paymentId }: { bookingId: string; paymentId: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const booking = await trx
          .selectFrom('bookings')
          .select(['seat_ids'])
          .where('id', '=', bookingId)
          .forUpdate()
          .executeTakeFirstOrThrow();
        const wanted = fromJson<string[]>(booking.seat_ids) ?? [];
        const rows = await trx
          .selectFrom('seat_holds')
          .select('seat_label')
          .where('booking_id', '=', bookingId)
          .forUpdate()
          .execute();
        if (rows.length !== wanted.length) {
          const lost = wanted.filter((seat) => !rows.some((r) => r.seat_label === seat));
          throw ApplicationFailure.nonRetryable(
            `Seats ${lost.join(', ')} were released before the payment completed`,
            'HoldLost',
          );
        }
        await trx
          .updateTable('seat_holds')
          .set({ status: 'BOOKED', expires_at: null })
          .where('booking_id', '=', bookingId)
          .execute();
        await trx
          .updateTable('bookings')
          .set({ status: 'CONFIRMED', payment_id: paymentId, hold_expires_at: null, updated_at: new Date() })
          .where('id', '=', bookingId)
          .execute();
      });
    },

    /** Frees the booking's seats and records how it ended (EXPIRED, CANCELLED, or FAILED with why). */
    async releaseSeats(input: {
      bookingId: string;
      status: FinalStatus;
      error?: { type: string; message: string };
    }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('seat_holds').where('booking_id', '=', input.bookingId).execute();
        await trx
          .updateTable('bookings')
          .set({
            status: input.status,
            updated_at: new Date(),
            ...(input.error && { error_type: input.error.type, error_message: input.error.message }),
          })
          .where('id', '=', input.bookingId)
          .execute();
      });
    },
  };
}
