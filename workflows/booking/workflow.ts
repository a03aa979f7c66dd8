import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  metricMeter,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { BookingActivities } from '../../activities/booking';
import { failureReason } from '../failures';
import type { PaymentState } from '../payment/shared';
import { type WebhookEmitter, webhookEmitter } from '../webhooks/emit';
import type { WebhookEventType } from '../webhooks/shared';
import { bookingPayments, paymentSummary } from './payments';
import {
  BOOKING_ASYNC_PAYMENT,
  type BookingInput,
  type BookingState,
  type BookingStatus,
  BookingStatusAttribute,
  bookingPaymentId,
  bookingStateQuery,
  cancelBookingUpdate,
  confirmBookingUpdate,
  EMAIL_FAILURE_KEPT,
  HOLD_DECIDED_BEFORE_START,
  PAYMENT_WAIT_BOUNDED,
  reserveUpdate,
} from './shared';

// MySQL work must eventually succeed; holds retry contention inside the activity.
const seats = proxyActivities<BookingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
// A send claims its message, sends within SMTP_SEND_TIMEOUT_MS and records it (activities/mail); it
// heartbeats throughout, so a dead worker's send is retried within seconds.
const mail = proxyActivities<BookingActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '15 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 20,
  },
});

const outcomes = metricMeter.createCounter(
  'troupe_booking_outcomes',
  'bookings',
  'Bookings reaching each status past RESERVED',
);

/**
 * The Booking actor: holds seats (all or none) for BOOKING_HOLD_SECONDS on a durable timer, confirms
 * with a payment (a child payment workflow), cancels with a refund. Whatever fails after seats were
 * held or money was captured is undone explicitly, and the reason recorded.
 */
export async function bookingWorkflow(input: BookingInput): Promise<BookingState> {
  const state: BookingState = {
    id: input.bookingId,
    status: 'PENDING',
    showId: input.showId,
    seatIds: [...input.seatIds].sort(),
    paymentAttempts: 0,
  };
  const payments = bookingPayments(state.id);
  /** Payments a confirmation stopped waiting for when the hold expired: refunded if they capture later. */
  const abandonedPayments = new Set<string>();
  const holdExpiresAt = input.hold
    ? Date.parse(input.hold.holdExpiresAt)
    : Date.now() + input.holdSeconds * 1000;

  // Confirm, cancel and expiry each change seats and money: one at a time.
  let busy = false;
  const exclusive = async <T>(work: () => Promise<T>): Promise<T> => {
    await condition(() => !busy);
    busy = true;
    try {
      return await work();
    } finally {
      busy = false;
    }
  };
  const webhooks = webhookEmitter();
  const moveTo = (status: BookingStatus) => {
    state.status = status;
    const event = BOOKING_EVENTS[status];
    if (event) webhooks.emit(event, state.id);
    upsertSearchAttributes([{ key: BookingStatusAttribute, value: status }]);
    if (status !== 'RESERVED') outcomes.add(1, { status });
    log.info('Booking status changed', { bookingId: state.id, status });
  };
  setHandler(bookingStateQuery, () => state);

  setHandler(reserveUpdate, async () => {
    await condition(() => state.status !== 'PENDING');
    if (state.status === 'REJECTED') {
      throw ApplicationFailure.create({
        type: state.error?.type,
        message: state.error?.message,
        details: [state],
      });
    }
    return state;
  });

  /** The payment waiting for the customer (an asynchronous method): the booking is PENDING_PAYMENT. */
  let pendingPayment: string | undefined;
  const pendingDecided = () => pendingPayment !== undefined && payments.decided(pendingPayment);

  /**
   * With a decided payment: a capture books the seats (CONFIRMED), or, if they were lost meanwhile,
   * is refunded (FAILED, HoldLost); anything else leaves the booking RESERVED for another try.
   * Throws what the confirm update answers (PaymentDeclined, PaymentFailed, HoldLost).
   */
  const settle = async (paymentId: string): Promise<BookingState> => {
    const payment = payments.get(paymentId) as PaymentState;
    state.payment = paymentSummary(payment);
    if (payment.status !== 'CAPTURED') {
      // The booking stays RESERVED: another card may be tried before the hold expires.
      throw ApplicationFailure.create({
        type: payment.status === 'DECLINED' ? 'PaymentDeclined' : 'PaymentFailed',
        message: payment.error?.message ?? `payment ${payment.status}`,
        details: [state],
      });
    }
    try {
      await seats.confirmSeats({ bookingId: state.id, paymentId });
    } catch (err) {
      // Compensation: the seats were lost (the hold ran out and another booking took them).
      const error = { type: 'HoldLost', message: failureReason(err).message };
      log.warn('Seats lost after capture; refunding', { bookingId: state.id, ...error });
      state.payment = paymentSummary(await payments.refund(paymentId, 'hold-lost'));
      await seats.releaseSeats({ bookingId: state.id, status: 'FAILED', error });
      state.error = error;
      moveTo('FAILED');
      throw ApplicationFailure.create({ type: 'HoldLost', message: error.message, details: [state] });
    }
    moveTo('CONFIRMED');
    return state;
  };

  /** Gives up on a payment the customer has not approved: it is voided; a capture that lands anyway is refunded. */
  const abandon = async (paymentId: string, reason: string) => {
    abandonedPayments.add(paymentId);
    await payments.abandon(paymentId, reason);
    pendingPayment = undefined;
  };

  setHandler(
    confirmBookingUpdate,
    ({ paymentMethod }) =>
      exclusive(async () => {
        if (state.status !== 'RESERVED') {
          throw ApplicationFailure.create({
            type: 'InvalidState',
            message: `booking is ${state.status}`,
            details: [state],
          });
        }
        const paymentId = bookingPaymentId(state.id, ++state.paymentAttempts);
        await payments.start({
          paymentId,
          amount: state.amount ?? 0,
          currency: state.currency ?? 'EUR',
          paymentMethod,
        });
        if (patched(PAYMENT_WAIT_BOUNDED)) {
          const asynchronous = patched(BOOKING_ASYNC_PAYMENT);
          const answered = () =>
            payments.decided(paymentId) || (asynchronous && payments.awaitingCustomer(paymentId));
          if (
            !(await condition(answered, untilTime(holdExpiresAt), {
              summary: 'payment answer, until the hold expires',
            }))
          ) {
            // The hold lapsed first: let go, so the booking expires; a late capture is refunded below.
            abandonedPayments.add(paymentId);
            throw ApplicationFailure.create({
              type: 'PaymentTimeout',
              message: 'the payment was not decided before the hold expired; the booking expires',
              details: [state],
            });
          }
          if (!payments.decided(paymentId)) {
            // An asynchronous method: the customer approves in their app; the seats stay held meanwhile.
            pendingPayment = paymentId;
            state.payment = paymentSummary(payments.get(paymentId) as PaymentState);
            delete state.error;
            await seats.updateBooking({ bookingId: state.id, status: 'PENDING_PAYMENT' });
            moveTo('PENDING_PAYMENT');
            return state;
          }
        } else await condition(() => payments.decided(paymentId));
        return settle(paymentId);
      }),
    {
      validator: (_request) => {
        if (state.status !== 'RESERVED') {
          throw ApplicationFailure.create({
            type: 'InvalidState',
            message:
              state.status === 'PENDING_PAYMENT'
                ? 'a payment is waiting for the customer; cancel the booking to try another way'
                : `booking is ${state.status}; only a RESERVED booking can be confirmed`,
          });
        }
        if (Date.now() >= holdExpiresAt)
          throw ApplicationFailure.create({ type: 'HoldExpired', message: 'the hold has expired' });
      },
    },
  );

  setHandler(
    cancelBookingUpdate,
    () =>
      exclusive(async () => {
        if (state.status === 'CANCELLED') return state;
        if (state.status === 'CONFIRMED' && state.payment) {
          state.payment = paymentSummary(await payments.refund(state.payment.id, 'booking-cancelled'));
        } else if (state.status === 'PENDING_PAYMENT' && pendingPayment) {
          await abandon(pendingPayment, 'the booking was cancelled');
        } else if (state.status !== 'RESERVED') {
          throw ApplicationFailure.create({
            type: 'InvalidState',
            message: `booking is ${state.status}`,
            details: [state],
          });
        }
        await seats.releaseSeats({ bookingId: state.id, status: 'CANCELLED' });
        moveTo('CANCELLED');
        return state;
      }),
    {
      validator: (_request) => {
        if (!['RESERVED', 'PENDING_PAYMENT', 'CONFIRMED', 'CANCELLED'].includes(state.status)) {
          throw ApplicationFailure.create({
            type: 'InvalidState',
            message: `booking is ${state.status}; only a RESERVED or CONFIRMED booking can be cancelled`,
          });
        }
      },
    },
  );

  // 1. Hold the seats, all or none: decided in MySQL before this workflow started, or (older
  // workflows) by an activity here.
  if (input.hold && patched(HOLD_DECIDED_BEFORE_START)) {
    const { amount, currency, showStartsAt } = input.hold;
    Object.assign(state, {
      amount,
      currency,
      showStartsAt,
      holdExpiresAt: new Date(holdExpiresAt).toISOString(),
    });
  } else
    try {
      const hold = await seats.holdSeats({ ...input, holdExpiresAt: new Date(holdExpiresAt).toISOString() });
      if (hold.outcome === 'taken') {
        state.takenSeatIds = hold.takenSeatIds;
        state.error = {
          type: 'SeatsUnavailable',
          message: `Seats ${hold.takenSeatIds.join(', ')} are taken`,
        };
        moveTo('REJECTED');
        return finish(state, webhooks);
      }
      Object.assign(state, {
        amount: hold.amount,
        currency: hold.currency,
        holdExpiresAt: new Date(holdExpiresAt).toISOString(),
        showStartsAt: hold.showStartsAt,
      });
    } catch (err) {
      state.error = failureReason(err);
      moveTo('REJECTED');
      return finish(state, webhooks);
    }
  moveTo('RESERVED');

  // 2. Wait for a confirmation or a cancellation until the hold expires (a durable timer). A payment
  // waiting for the customer settles the booking when it is decided (its capture confirms it).
  const open = () => state.status === 'RESERVED' || state.status === 'PENDING_PAYMENT';
  for (;;) {
    // The summary names the timer in the Web UI (it is metadata: the commands are the same).
    await condition(() => !open() || pendingDecided(), untilTime(holdExpiresAt), {
      summary: 'seat hold expires',
    });
    if (!pendingDecided()) break;
    await exclusive(async () => {
      const paymentId = pendingPayment as string;
      pendingPayment = undefined;
      try {
        await settle(paymentId);
      } catch (err) {
        // Declined or failed: RESERVED again, with the reason, for another try before the hold expires.
        state.error = failureReason(err);
        if (state.status === 'PENDING_PAYMENT') {
          await seats.updateBooking({ bookingId: state.id, status: 'RESERVED', error: state.error });
          moveTo('RESERVED');
        }
      }
    });
  }
  await exclusive(async () => {
    // A confirmation that started before expiry has finished by now; anything still open expires.
    if (!open()) return;
    let error: { type: string; message: string } | undefined;
    if (state.status === 'PENDING_PAYMENT' && pendingPayment) {
      error = {
        type: 'PaymentNotCompleted',
        message: 'the payment was not completed before the hold expired',
      };
      await abandon(pendingPayment, error.message);
      state.error = error;
    }
    await seats.releaseSeats({ bookingId: state.id, status: 'EXPIRED', ...(error && { error }) });
    moveTo('EXPIRED');
  });

  // 3. A confirmed booking stays cancellable (with a refund) until the show starts.
  const sendEmail = async (kind: 'confirmed' | 'cancelled') => {
    try {
      await mail.sendBookingEmail({ bookingId: state.id, kind });
    } catch (err) {
      if (!patched(EMAIL_FAILURE_KEPT)) throw err;
      // The booking stands (and stays cancellable); the failed email is recorded, not the booking failed.
      state.emailError = failureReason(err);
      log.warn('Booking email could not be sent', { bookingId: state.id, kind, ...state.emailError });
    }
  };
  if (state.status === 'CONFIRMED') {
    await sendEmail('confirmed');
    await condition(() => state.status !== 'CONFIRMED', untilTime(Date.parse(state.showStartsAt ?? '')), {
      summary: 'show starts (cancellable until then)',
    });
  }
  if (state.status === 'CANCELLED') await sendEmail('cancelled');

  // 4. A payment the booking stopped waiting for may still capture: give that money back.
  for (const paymentId of abandonedPayments) {
    await condition(() => payments.decided(paymentId), LATE_PAYMENT_WAIT, {
      summary: 'late payment may still capture',
    });
    if (payments.get(paymentId)?.status === 'CAPTURED') {
      log.warn('A payment captured after its booking expired; refunding it', {
        bookingId: state.id,
        paymentId,
      });
      const refunded = await payments.refund(paymentId, 'booking-expired').then(
        () => true,
        (err) => {
          log.error('Refund of a late payment failed', { paymentId, ...failureReason(err) });
          return false;
        },
      );
      if (refunded && patched(BOOKING_ASYNC_PAYMENT)) {
        // The booking says why the customer's money came back.
        state.error = {
          type: 'PaymentTooLate',
          message: `payment ${paymentId} was captured after the booking ${state.status === 'EXPIRED' ? 'expired' : 'was cancelled'}; it was refunded in full`,
        };
        await seats.updateBooking({ bookingId: state.id, error: state.error });
      }
    }
  }
  return finish(state, webhooks);
}

/** How long an expired booking waits on a payment it stopped waiting for, to refund a late capture. */
const LATE_PAYMENT_WAIT = '1 day';

/** Milliseconds from workflow time to `at`; at least 1, as a timer needs a positive duration. */
const untilTime = (at: number) => Math.max(1, at - Date.now());

async function finish(state: BookingState, webhooks: WebhookEmitter): Promise<BookingState> {
  await condition(allHandlersFinished);
  await webhooks.flushed();
  return state;
}

/** The statuses subscribers hear about (README "Webhooks"). */
const BOOKING_EVENTS: Partial<Record<BookingStatus, WebhookEventType>> = {
  RESERVED: 'booking.reserved',
  CONFIRMED: 'booking.confirmed',
  CANCELLED: 'booking.cancelled',
  EXPIRED: 'booking.expired',
};
