import { z } from 'zod';
import type { GatewayEvent } from '../../workflows/payment/shared';

/** The gateway's authorization as its webhooks show it (only what Troupe reads; the rest is kept as sent). */
const authorization = z.looseObject({
  id: z.string().min(1).max(100),
  status: z.string().min(1).max(40),
  amount: z.int().min(0),
  captured: z.int().min(0),
  refunded: z.int().min(0),
  version: z.int().min(0),
  decline_code: z.string().max(100).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

export const gatewayEventBody = z
  .looseObject({
    id: z.string().min(1).max(100).describe('The event id: a delivery repeated with it has no second effect'),
    type: z.string().min(1).max(40).meta({ example: 'payment.captured' }),
    created: z.int().optional(),
    data: z.looseObject({
      object: authorization,
      refund: z
        .looseObject({
          amount: z.int().min(0),
          status: z.enum(['succeeded', 'failed']),
          idempotency_key: z.string().min(1).max(255),
        })
        .optional(),
    }),
  })
  .meta({ id: 'GatewayWebhookEvent', description: 'A payment or refund event, as the gateway sends it' });
export type GatewayEventBody = z.infer<typeof gatewayEventBody>;

/** Troupe's payment id, from the metadata it gave the gateway when it authorized. */
export const paymentIdOf = (event: GatewayEventBody): string | undefined => {
  const id = event.data.object.metadata?.troupe_payment_id;
  return id && /^pay_[0-9a-f]{24}(-\d{1,3})?$/.test(id) ? id : undefined;
};

/** The event as the payment workflow takes it. */
export function toWorkflowEvent(event: GatewayEventBody): GatewayEvent {
  const { object, refund } = event.data;
  return {
    id: event.id,
    type: event.type,
    authorization: {
      id: object.id,
      status: object.status,
      amount: object.amount,
      captured: object.captured,
      refunded: object.refunded,
      version: object.version,
      ...(object.decline_code && { declineCode: object.decline_code }),
    },
    ...(refund && {
      refund: { amount: refund.amount, status: refund.status, idempotencyKey: refund.idempotency_key },
    }),
  };
}

export const webhookAnswer = z
  .object({
    received: z.literal(true),
    duplicate: z.boolean().describe('true: this event id was received before; nothing more was done'),
  })
  .meta({ id: 'WebhookReceived' });
