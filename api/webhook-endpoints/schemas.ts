import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../../workflows/webhooks/shared';

export const endpointId = z
  .string()
  .regex(/^we_[0-9a-f]{24}$/, 'must be a webhook endpoint id such as we_0123456789abcdef01234567')
  .meta({ example: 'we_9a8b7c6d5e4f3a2b1c0d9e8f' });
export const deliveryId = z
  .string()
  .regex(/^dlv_[0-9a-f]{32}$/, 'must be a delivery id such as dlv_0123456789abcdef0123456789abcdef');

const webhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2000)
  .meta({ example: 'https://crm.example.com/hooks/troupe' });
const eventTypes = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1, 'must name at least one event type')
  .max(WEBHOOK_EVENT_TYPES.length)
  .transform((types) => [...new Set(types)])
  .describe('The event types to receive');
const description = z.string().trim().max(500).nullable();

export const createEndpointBody = z
  .strictObject({ url: webhookUrl, events: eventTypes, description: description.optional() })
  .meta({ id: 'CreateWebhookEndpoint' });

export const updateEndpointBody = z
  .strictObject({
    url: webhookUrl.optional(),
    events: eventTypes.optional(),
    description: description.optional(),
    enabled: z.boolean().optional().describe('true turns a disabled endpoint back on'),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change at least one of url, events, description, enabled')
  .meta({ id: 'UpdateWebhookEndpoint' });

export const endpointSchema = z
  .object({
    id: endpointId,
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    enabled: z.boolean(),
    disabledReason: z.string().nullable().describe('Why Troupe (or you) disabled it'),
    failingSince: z.iso.datetime().nullable().describe('Since when every delivery has failed'),
    rotation: z
      .object({ previousSecretUntil: z.iso.datetime() })
      .nullable()
      .describe('During a rotation: until when events are also signed with the previous secret'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'WebhookEndpoint' });
export type EndpointView = z.infer<typeof endpointSchema>;

export const endpointWithSecretSchema = endpointSchema
  .extend({
    secret: z
      .string()
      .describe('The signing secret (Standard Webhooks, `whsec_…`): shown only in this answer, keep it'),
  })
  .meta({ id: 'WebhookEndpointWithSecret' });

export const endpointPageSchema = z
  .object({ items: z.array(endpointSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'WebhookEndpointPage' });

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const attemptSchema = z.object({
  attempt: z.int(),
  statusCode: z.int().nullable().describe('null when no answer came (refused, timed out, unreachable)'),
  latencyMs: z.int(),
  error: z.string().nullable(),
  responseBody: z.string().nullable().describe('The first kilobyte of the answer'),
  attemptedAt: z.iso.datetime(),
});

export const deliverySchema = z
  .object({
    id: deliveryId,
    eventId: z.string().describe('Sent as `webhook-id` on every attempt'),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed', 'gone', 'disabled']),
    attempts: z.array(attemptSchema),
    nextAttemptAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'WebhookDelivery' });

export const deliveryPageSchema = z
  .object({ items: z.array(deliverySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'WebhookDeliveryPage' });

export const queuedDeliverySchema = z
  .object({ deliveryId, eventId: z.string(), status: z.literal('pending') })
  .meta({ id: 'QueuedWebhookDelivery' });
