// Outbound webhooks (README "Webhooks"): what the business workflows emit, and the delivery workflow's
// messages. Shared by the workflows, the activities that publish and deliver, and the API.
import { defineSignal } from '@temporalio/workflow';

/** Every business event a subscriber can ask for; `ping` is sent only by `POST …/test`. */
export const WEBHOOK_EVENT_TYPES = [
  'lead.completed',
  'lead.failed',
  'booking.reserved',
  'booking.confirmed',
  'booking.cancelled',
  'booking.expired',
  'payment.captured',
  'payment.refunded',
  'payment.failed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The entity an event is about; its `data` is that entity as the API's GET shows it. */
export type WebhookEntity = 'lead' | 'booking' | 'payment';
export const entityOf = (type: WebhookEventType): WebhookEntity => type.split('.')[0] as WebhookEntity;

/**
 * What a workflow emits at a state change. The event id is derived from these (activities/webhooks),
 * so a retried or replayed emit is the same event.
 */
export interface EmitWebhookEvent {
  type: WebhookEventType;
  entityId: string;
  /** Tells apart events of one type about one entity (a payment's second refund). */
  discriminator?: string;
  /** Workflow time of the change (deterministic). */
  occurredAt: string;
}

export interface WebhookDeliveryInput {
  deliveryId: string;
  /** Before each retry, in ms (WEBHOOK_RETRY_SCHEDULE when the delivery started). */
  retryScheduleMs: number[];
}

/** How an attempt ended: `retry` waits for the next one; the others end the delivery. */
export type AttemptOutcome = 'delivered' | 'retry' | 'gone' | 'disabled' | 'failed';

export interface WebhookDeliveryResult {
  deliveryId: string;
  outcome: Exclude<AttemptOutcome, 'retry'>;
  attempts: number;
}

/** `POST …/deliveries/{id}/redeliver` on a delivery waiting for its next retry: try now. */
export const redeliverNowSignal = defineSignal('redeliverNow');

/** Deliveries run on their own task queue and slots, so a slow receiver never holds up the business. */
export const webhookTaskQueue = (taskQueue: string): string => `${taskQueue}-webhooks`;
export const webhookDeliveryWorkflowId = (deliveryId: string): string => `webhook-delivery-${deliveryId}`;

/** Business workflows emit events only from this change on; runs started before it emit none. */
export const WEBHOOK_EVENTS = 'webhook-events';
