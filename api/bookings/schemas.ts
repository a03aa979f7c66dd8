import { z } from 'zod';
import { BOOKING_STATUSES } from '../../workflows/booking/shared';
import { PAYMENT_STATUSES } from '../../workflows/payment/shared';
import { emailAddress } from '../leads/schemas';
import { showId } from '../shows/schemas';

export const bookingId = z
  .string()
  .regex(/^bk_[0-9a-f]{24}$/, 'must be a booking id such as bk_0123456789abcdef01234567')
  .meta({ example: 'bk_3c1f0a9e8d7b6a5f4e3d2c1b' });

export const seatIdSchema = z
  .string()
  .regex(/^[A-Z]{1,2}[0-9]{1,3}$/, 'must be a seat id such as A1')
  .meta({ example: 'A1' });

export const createBookingBody = z
  .strictObject({
    showId: z
      .int()
      .positive()
      .max(2 ** 31)
      .meta({ example: 12 }),
    seatIds: z
      .array(seatIdSchema)
      .min(1)
      .max(10)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a seat')
      .meta({ example: ['A1', 'A2'] }),
    customer: z.strictObject({
      name: z.string().trim().min(1).max(200).meta({ example: 'Ada Lovelace' }),
      email: emailAddress.meta({ example: 'ada@example.com' }),
    }),
  })
  .meta({ id: 'CreateBooking' });

export const confirmBookingBody = z
  .strictObject({
    paymentMethod: z
      .string()
      .min(1)
      .max(64)
      .describe(
        'A payment method token; the sandbox knows pm_card_visa, pm_card_chargeDeclined and pm_upi_collect (asynchronous: 202, PENDING_PAYMENT)',
      )
      .meta({ example: 'pm_card_visa' }),
  })
  .meta({ id: 'ConfirmBooking' });

export const cancelBookingBody = z
  .strictObject({ reason: z.string().max(500).optional() })
  .meta({ id: 'CancelBooking' });

export const bookingPaymentSchema = z
  .object({
    id: z.string(),
    status: z.enum(PAYMENT_STATUSES),
    amount: z.int(),
    refundedAmount: z.int(),
  })
  .meta({ id: 'BookingPayment' });

export const bookingSchema = z
  .object({
    id: bookingId,
    workflowId: z.string(),
    status: z.enum(BOOKING_STATUSES),
    showId: showId,
    seatIds: z.array(z.string()),
    customer: z.object({ name: z.string(), email: z.string() }),
    amount: z.int().describe('Minor units (cents)'),
    currency: z.string(),
    holdExpiresAt: z.iso.datetime().nullable().describe('While RESERVED: when the hold lapses'),
    payment: bookingPaymentSchema.nullable().describe('The latest payment attempt'),
    error: z.object({ type: z.string(), message: z.string() }).nullable(),
    takenSeatIds: z.array(z.string()).nullable().describe('When REJECTED: the seats another booking holds'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Booking' });
export type BookingView = z.infer<typeof bookingSchema>;
