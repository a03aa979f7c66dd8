import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { startBookingWorkflow } from '../../clients/bookings';
import { type HoldOutcome, holdSeats, markReserved, releasePendingHold } from '../../db/seat-holds';
import { bookingWorkflowId, cancelBookingUpdate, confirmBookingUpdate } from '../../workflows/booking/shared';
import { bookingTaskQueue } from '../../workflows/task-queues';
import type { ApiDeps } from '../deps';
import { notFound, Problem, problemSchema, problemType } from '../http/problem';
import { route } from '../http/route';
import {
  answerTimeoutProblem,
  isAnswerTimeout,
  isWorkflowClosed,
  type UpdateFailure,
  updateFailure,
  withinAnswerTime,
} from '../http/workflow-errors';
import { claimIdempotencyKey, idempotencyKeyHeader } from '../idempotency';
import {
  type BookingView,
  bookingId,
  bookingSchema,
  cancelBookingBody,
  confirmBookingBody,
  createBookingBody,
} from './schemas';
import { findBooking } from './store';

const location = z.object({ Location: z.string() });

const seatsTaken = (detail: string, takenSeatIds: string[] | null | undefined) =>
  new Problem(409, detail, {
    type: problemType('seats-unavailable'),
    title: 'Seats unavailable',
    extensions: { takenSeatIds: takenSeatIds ?? [] },
  });

/** Why a hold was refused, as the HTTP answer. */
/** Why the hold was refused before any seat was tried. */
function refusal(hold: Extract<HoldOutcome, { outcome: 'refused' }>): Problem {
  if (hold.type === 'HoldContention')
    return new Problem(503, hold.message, { type: problemType('hold-contention') });
  if (hold.type === 'ShowStarted')
    return new Problem(409, hold.message, { type: problemType('booking-refused') });
  return new Problem(404, hold.message);
}

const failureText = (err: unknown) => (err instanceof Error ? err.message : String(err));

function holdProblem(failure: UpdateFailure): Problem {
  const state = failure.details[0] as { takenSeatIds?: string[] } | undefined;
  switch (failure.type) {
    case 'SeatsUnavailable':
      return seatsTaken(failure.message, state?.takenSeatIds);
    case 'ShowNotFound':
    case 'SeatNotFound':
      return new Problem(404, failure.message);
    default:
      return new Problem(409, failure.message, { type: problemType('booking-refused') });
  }
}

export function bookingRoutes({ db, temporal, config }: ApiDeps) {
  const answerMs = config.workflowAnswerTimeoutMs;
  const withinTime = <T>(work: () => Promise<T>) => withinAnswerTime(temporal, answerMs, work);
  const load = async (id: string): Promise<BookingView> => {
    const booking = await findBooking(db, id);
    if (!booking) throw notFound(`Booking ${id}`);
    return booking;
  };
  /** A refused update on a booking that has already moved on: the same outcome again is a success. */
  const alreadyOrConflict = async (id: string, wanted: BookingView['status'], failure?: UpdateFailure) => {
    const booking = await load(id);
    if (booking.status === wanted) return { status: 200, body: booking };
    throw new Problem(409, failure?.message ?? `booking is ${booking.status}`, {
      type: problemType('booking-state'),
      title: 'Booking cannot do that now',
      extensions: { status: booking.status },
    });
  };

  return [
    route({
      method: 'post',
      path: '/api/v1/bookings',
      operationId: 'createBooking',
      summary: 'Hold seats for a show',
      description:
        'Decides the hold in MySQL (all the seats for BOOKING_HOLD_SECONDS, or none) and, for a winner, starts the ' +
        'booking workflow that expires it. A refused request starts nothing. The same Idempotency-Key returns the same booking.',
      tags: ['Bookings'],
      request: { body: createBookingBody, headers: z.object({ 'idempotency-key': idempotencyKeyHeader }) },
      responses: {
        201: {
          description: 'Seats held; the booking is RESERVED until holdExpiresAt',
          schema: bookingSchema,
          headers: location,
        },
        404: { description: 'No such show or seat', schema: problemSchema },
        409: {
          description: 'Seats taken (`takenSeatIds` names them) or the show has started',
          schema: problemSchema,
        },
        422: { description: 'Idempotency-Key reused with a different body', schema: problemSchema },
        503: {
          description:
            'The booking workflow could not be started (its seats were released) or the hold met heavy contention',
          schema: problemSchema,
        },
      },
      async handler({ body, headers }) {
        const key = headers['idempotency-key'];
        let id = `bk_${(key ? createHash('sha256').update(key).digest() : randomBytes(12)).toString('hex').slice(0, 24)}`;
        if (key) id = await claimIdempotencyKey(db, { scope: 'booking', key, request: body, resourceId: id });
        const created = (booking: BookingView) => ({
          status: 201,
          body: booking,
          headers: { Location: `/api/v1/bookings/${id}` },
        });
        // A retry (same key) of a booking already decided: the same answer again.
        const earlier = key ? await findBooking(db, id) : undefined;
        if (earlier?.status === 'REJECTED')
          throw seatsTaken(earlier.error?.message ?? 'Seats are taken', earlier.takenSeatIds);
        if (earlier && earlier.status !== 'PENDING') return created(earlier);

        // The race is decided in MySQL, before any workflow exists: a loser costs one transaction.
        const hold = await holdSeats(db, {
          bookingId: id,
          workflowId: bookingWorkflowId(id),
          ...body,
          holdExpiresAt: new Date(Date.now() + config.bookings.holdSeconds * 1000).toISOString(),
          status: 'PENDING',
        });
        if (hold.outcome === 'taken')
          throw seatsTaken(`Seats ${hold.takenSeatIds.join(', ')} are taken`, hold.takenSeatIds);
        if (hold.outcome === 'refused') throw refusal(hold);

        // The winner's workflow carries the hold and expires it on a durable timer.
        const { outcome: _, ...held } = hold;
        try {
          await withinTime(() =>
            startBookingWorkflow(temporal, bookingTaskQueue(config.temporal.taskQueue), {
              bookingId: id,
              ...body,
              holdSeconds: config.bookings.holdSeconds,
              hold: held,
            }),
          );
        } catch (err) {
          // No answer in time: the workflow may have started. The hold stays PENDING, and the outbox
          // relay starts (or attaches to) its workflow, or releases it once it expires.
          if (isAnswerTimeout(err)) throw answerTimeoutProblem(answerMs, `Booking ${id}`);
          // A retry of a booking whose workflow has finished: answer from MySQL below.
          if (!isWorkflowClosed(err)) {
            // No workflow guards this hold: release it rather than leave seats held by nobody.
            await releasePendingHold(db, id, { drop: true });
            const failure = updateFailure(err);
            if (failure) throw holdProblem(failure);
            throw new Problem(
              503,
              `The booking could not be started, its seats were released: ${failureText(err)}`,
              {
                type: problemType('booking-not-started'),
                title: 'Booking not started',
              },
            );
          }
        }
        await markReserved(db, id);
        const booking = await findBooking(db, id);
        if (!booking) throw new Problem(404, 'The show or a seat of this booking does not exist');
        if (booking.status === 'REJECTED')
          throw seatsTaken(booking.error?.message ?? 'Seats are taken', booking.takenSeatIds);
        return created(booking);
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/bookings/{id}',
      operationId: 'getBooking',
      summary: 'Get a booking',
      tags: ['Bookings'],
      request: { params: z.object({ id: bookingId }) },
      responses: {
        200: { description: 'The booking', schema: bookingSchema },
        404: { description: 'No such booking', schema: problemSchema },
      },
      handler: async ({ params }) => ({ status: 200, body: await load(params.id) }),
    }),
    route({
      method: 'post',
      path: '/api/v1/bookings/{id}/confirm',
      operationId: 'confirmBooking',
      summary: 'Pay and confirm a reserved booking',
      description:
        'Runs the payment (a child payment workflow: authorize and capture) and books the seats. A declined card answers 402 ' +
        'and leaves the booking RESERVED, so another card can be tried before the hold expires.',
      tags: ['Bookings'],
      request: { params: z.object({ id: bookingId }), body: confirmBookingBody },
      responses: {
        200: { description: 'CONFIRMED, with the captured payment', schema: bookingSchema },
        202: {
          description:
            'PENDING_PAYMENT: an asynchronous method (e.g. pm_upi_collect) waits for the customer; the seats stay held and the booking is CONFIRMED when the gateway reports the capture',
          schema: bookingSchema,
        },
        402: { description: 'The card was declined; the booking stays RESERVED', schema: problemSchema },
        404: { description: 'No such booking', schema: problemSchema },
        409: {
          description: 'The booking is not RESERVED, its hold expired, or its seats were lost (refunded)',
          schema: problemSchema,
        },
        502: {
          description: 'The payment gateway failed; nothing was charged that was not refunded',
          schema: problemSchema,
        },
      },
      async handler({ params, body }) {
        const booking = await load(params.id);
        try {
          await withinTime(() =>
            temporal.workflow
              .getHandle(booking.workflowId)
              .executeUpdate(confirmBookingUpdate, { args: [body] }),
          );
        } catch (err) {
          const failure = updateFailure(err);
          if (failure?.type === 'PaymentDeclined') {
            throw new Problem(402, failure.message, {
              type: problemType('payment-declined'),
              title: 'Payment declined',
              extensions: { booking: await load(params.id) },
            });
          }
          if (failure?.type === 'PaymentFailed') {
            throw new Problem(502, `The payment could not be completed: ${failure.message}`, {
              type: problemType('payment-failed'),
            });
          }
          if (failure?.type === 'HoldLost') {
            throw new Problem(409, `${failure.message}; the payment was refunded`, {
              type: problemType('hold-lost'),
            });
          }
          if (!failure && !isWorkflowClosed(err)) throw err;
          return alreadyOrConflict(params.id, 'CONFIRMED', failure);
        }
        const confirmed = await load(params.id);
        return { status: confirmed.status === 'PENDING_PAYMENT' ? 202 : 200, body: confirmed };
      },
    }),
    route({
      method: 'post',
      path: '/api/v1/bookings/{id}/cancel',
      operationId: 'cancelBooking',
      summary: 'Cancel a booking: release its seats, and refund it if it was paid',
      description: 'Cancelling twice is harmless: the second call answers 200 with the cancelled booking.',
      tags: ['Bookings'],
      request: { params: z.object({ id: bookingId }), body: cancelBookingBody },
      responses: {
        200: { description: 'CANCELLED (with the refund, if it was paid)', schema: bookingSchema },
        404: { description: 'No such booking', schema: problemSchema },
        409: {
          description: 'The booking has expired, failed, or its show has started',
          schema: problemSchema,
        },
        502: { description: 'The refund failed; the booking stays CONFIRMED', schema: problemSchema },
      },
      async handler({ params, body }) {
        const booking = await load(params.id);
        try {
          await withinTime(() =>
            temporal.workflow
              .getHandle(booking.workflowId)
              .executeUpdate(cancelBookingUpdate, { args: [body] }),
          );
        } catch (err) {
          const failure = updateFailure(err);
          if (failure?.type === 'RefundFailed') {
            throw new Problem(502, `The refund failed: ${failure.message}`, {
              type: problemType('refund-failed'),
            });
          }
          if (!failure && !isWorkflowClosed(err)) throw err;
          return alreadyOrConflict(params.id, 'CANCELLED', failure);
        }
        return { status: 200, body: await load(params.id) };
      },
    }),
  ];
}
