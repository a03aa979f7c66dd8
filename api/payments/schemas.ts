import { z } from 'zod';
import { PAYMENT_STATUSES } from '../../workflows/payment/shared';

const minor = z.int().positive().max(100_000_000).describe('Minor units (cents)');

export const paymentId = z
  .string()
  .regex(/^pay_[0-9a-f]{24}(-\d{1,3})?$/, 'must be a payment id such as pay_0123456789abcdef01234567')
  .meta({ example: 'pay_9a8b7c6d5e4f3a2b1c0d9e8f' });

export const createPaymentBody = z
  .strictObject({
    amount: minor.meta({ example: 1900 }),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
      .meta({ example: 'EUR' }),
    paymentMethod: z.string().min(1).max(64).meta({ example: 'pm_card_visa' }),
    reference: z.string().trim().min(1).max(200).optional().describe('Your own reference, e.g. an order id'),
    capture: z
      .enum(['automatic', 'manual'])
      .default('automatic')
      .describe('manual: authorize now, capture later'),
  })
  .meta({ id: 'CreatePayment' });

export const capturePaymentBody = z
  .strictObject({ amount: minor.optional().describe('At most the authorized amount; all of it when absent') })
  .meta({ id: 'CapturePayment' });

export const refundPaymentBody = z
  .strictObject({
    amount: minor.optional().describe('At most what is left to refund; all of it when absent'),
  })
  .meta({ id: 'RefundPayment' });

export const paymentSchema = z
  .object({
    id: paymentId,
    workflowId: z.string(),
    status: z.enum(PAYMENT_STATUSES),
    amount: z.int(),
    currency: z.string(),
    captureMode: z.enum(['automatic', 'manual']),
    capturedAmount: z.int(),
    refundedAmount: z.int(),
    refunds: z.array(
      z.object({
        id: z.string(),
        amount: z.int(),
        status: z.enum(['PENDING', 'SUCCEEDED', 'FAILED']),
        error: z.string().optional(),
      }),
    ),
    reference: z.string().nullable(),
    authorizationId: z
      .string()
      .nullable()
      .describe("The gateway's id for this payment (quote it to the gateway)"),
    awaitingCustomer: z
      .boolean()
      .describe('PENDING until the customer approves it in their app (an asynchronous method such as UPI)'),
    error: z.object({ type: z.string(), message: z.string() }).nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Payment' });
export type PaymentView = z.infer<typeof paymentSchema>;
