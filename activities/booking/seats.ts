import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../../db';
import { fromJson } from '../../db';
import { recordEntityEvent } from '../../db/entity-events';
import { holdSeats } from '../../db/seat-holds';
import { type BookingInput, bookingWorkflowId } from '../../workflows/booking/shared';

export type HoldSeatsResult =
  | { outcome: 'held'; amount: number; currency: string; showStartsAt: string }
  | { outcome: 'taken'; takenSeatIds: string[] };

type FinalStatus = 'EXPIRED' | 'CANCELLED' | 'FAILED';

/** Seat holds, confirmations and releases in MySQL (the race itself is decided in db/seat-holds.ts). */
export function createSeatActivities(db: Db) {
  return {
    /**
     * The hold as workflows started before the API decided races ran it (kept for those in flight).
     * A workflow started with a decided hold whose worker predates that change lands here too, and
     * finds its hold already committed.
     */
    async holdSeats(input: BookingInput & { holdExpiresAt: string }): Promise<HoldSeatsResult> {
      const { bookingId, showId, seatIds, customer, holdExpiresAt } = input;
      const hold = await holdSeats(db, {
        bookingId,
        workflowId: bookingWorkflowId(bookingId),
        showId,
        seatIds,
        customer,
        holdExpiresAt,
        status: 'RESERVED',
      });
      if (hold.outcome === 'held') {
        const { amount, currency, showStartsAt } = hold;
        return { outcome: 'held', amount, currency, showStartsAt };
      }
      if (hold.outcome === 'taken') return hold;
      if (hold.type === 'HoldContention') throw ApplicationFailure.retryable(hold.message, hold.type);
      throw ApplicationFailure.create({
        nonRetryable: true,
        type: hold.type,
        message: hold.message,
        details: hold.unknownSeatIds ? [hold.unknownSeatIds] : [],
      });
    },

    /** Turns the booking's holds into bookings; refuses if any seat was lost (a late confirmation). */
    async confirmSeats({ bookingId, paymentId }: { bookingId: string; paymentId: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const booking = await trx
          .selectFrom('bookings')
          .select(['seat_ids'])
          .where('id', '=', bookingId)
          .forUpdate()
          .executeTakeFirst();
        if (!booking) {
          throw ApplicationFailure.nonRetryable(`Booking ${bookingId} holds no seats`, 'HoldLost');
        }
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
        await recordEntityEvent(trx, { entityType: 'booking', entityId: bookingId, status: 'CONFIRMED' });
      });
    },

    /**
     * Records a booking's status while it keeps its seats (PENDING_PAYMENT ⇄ RESERVED) and, with
     * `error`, why a payment did not go through (or came too late and was refunded).
     */
    async updateBooking(input: {
      bookingId: string;
      status?: 'RESERVED' | 'PENDING_PAYMENT';
      error?: { type: string; message: string };
    }): Promise<void> {
      let query = db
        .updateTable('bookings')
        .set({
          updated_at: new Date(),
          ...(input.status && { status: input.status }),
          ...(input.error && {
            error_type: input.error.type,
            error_message: input.error.message.slice(0, 2000),
          }),
        })
        .where('id', '=', input.bookingId);
      // A status moves only between the two states that hold seats; the error may be noted at any time.
      if (input.status) query = query.where('status', 'in', ['RESERVED', 'PENDING_PAYMENT']);
      const result = await query.executeTakeFirst();
      if (input.status && Number(result.numUpdatedRows) > 0) {
        await recordEntityEvent(db, {
          entityType: 'booking',
          entityId: input.bookingId,
          status: input.status,
        });
      }
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
        await recordEntityEvent(trx, {
          entityType: 'booking',
          entityId: input.bookingId,
          status: input.status,
          ...(input.error && { data: { error: input.error } }),
        });
      });
    },
  };
}
