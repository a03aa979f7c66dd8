// What the API and the booking workflow share: ids, statuses, the search attribute and messages.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export const BOOKING_STATUSES = [
  'PENDING',
  'RESERVED',
  'PENDING_PAYMENT',
  'REJECTED',
  'CONFIRMED',
  'EXPIRED',
  'CANCELLED',
  'FAILED',
] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

export const BookingStatusAttribute = defineSearchAttributeKey('BookingStatus', SearchAttributeType.KEYWORD);

export interface BookingInput {
  bookingId: string;
  showId: number;
  seatIds: string[];
  customer: { name: string; email: string };
  holdSeconds: number;
  /**
   * The seats already held in MySQL (the API decides the race before the workflow starts). Absent in
   * workflows started before that change: they hold the seats with an activity.
   */
  hold?: { amount: number; currency: string; showStartsAt: string; holdExpiresAt: string };
}

/** The patch under which a booking workflow takes its hold from its input instead of an activity. */
export const HOLD_DECIDED_BEFORE_START = 'hold-decided-before-start';
/**
 * A confirmation waits for its payment only until the hold expires (then the booking expires, and a
 * capture that lands later is refunded), so a stuck payment can no longer keep the seats forever.
 */
export const PAYMENT_WAIT_BOUNDED = 'booking-payment-wait-bounded';
/**
 * A confirmation with an asynchronous method (UPI and the like) answers PENDING_PAYMENT and keeps the
 * seats held; the payment's capture, reported by the gateway's webhook, confirms the booking.
 */
export const BOOKING_ASYNC_PAYMENT = 'booking-async-payment';
/** An email that finally fails is recorded on the booking instead of failing its workflow. */
export const EMAIL_FAILURE_KEPT = 'booking-email-failure-kept';

export interface BookingPayment {
  id: string;
  status: string;
  amount: number;
  refundedAmount: number;
}

export interface BookingState {
  id: string;
  status: BookingStatus;
  showId: number;
  seatIds: string[];
  amount?: number;
  currency?: string;
  holdExpiresAt?: string;
  showStartsAt?: string;
  /** Seats another booking holds, when the hold was refused. */
  takenSeatIds?: string[];
  payment?: BookingPayment;
  paymentAttempts: number;
  error?: { type: string; message: string };
  /** A confirmation or cancellation email that could not be sent (the booking itself stands). */
  emailError?: { type: string; message: string };
}

export const bookingStateQuery = defineQuery<BookingState>('bookingState');
/** Sent with the workflow's start (update-with-start): answers once the hold is decided. */
export const reserveUpdate = defineUpdate<BookingState>('reserve');
export const confirmBookingUpdate = defineUpdate<BookingState, [{ paymentMethod: string }]>('confirm');
export const cancelBookingUpdate = defineUpdate<BookingState, [{ reason?: string }]>('cancel');

export const bookingWorkflowId = (bookingId: string): string => `booking-${bookingId}`;
/** The n-th payment attempt of a booking: `bk_abc` → `pay_abc-1`. */
export const bookingPaymentId = (bookingId: string, attempt: number): string =>
  `${bookingId.replace(/^bk_/, 'pay_')}-${attempt}`;
