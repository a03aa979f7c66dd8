import { condition, patched, proxyLocalActivities } from '@temporalio/workflow';
import type { WebhookActivities } from '../../activities/webhooks';
import { type EmitWebhookEvent, WEBHOOK_EVENTS, type WebhookEventType } from './shared';

// Publishing is a few MySQL statements and a workflow start: a local activity, retried until it
// succeeds (MySQL or Temporal back), so an emitted event is never lost.
const { publishWebhookEvent } = proxyLocalActivities<WebhookActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export interface WebhookEmitter {
  /** Emits the event after the change was stored; never waits (an update's answer is not held up). */
  emit(type: WebhookEventType, entityId: string, discriminator?: string): void;
  /** Emits the event once per run: a second emit of the same event (a booking RESERVED again) is dropped. */
  /** Waits until everything emitted is published: call before the workflow returns. */
  flushed(): Promise<void>;
}

/**
 * A workflow's outbound events, published in order, in the background. The emit is recorded in the
 * workflow's history (a marker and a local activity), so a crash loses none and a replay repeats none.
 */
export function webhookEmitter(): WebhookEmitter {
  const queue: EmitWebhookEvent[] = [];
  const emitted = new Set<string>();
  let draining = false;
  const drain = async () => {
    draining = true;
    for (let next = queue[0]; next; next = queue[0]) {
      await publishWebhookEvent(next);
      queue.shift();
    }
    draining = false;
  };
  return {
    emit(type, entityId, discriminator) {
      const key = `${type} ${entityId} ${discriminator ?? ''}`;
      if (emitted.has(key) || !patched(WEBHOOK_EVENTS)) return;
      emitted.add(key);
      queue.push({
        type,
        entityId,
        occurredAt: new Date().toISOString(),
        ...(discriminator && { discriminator }),
      });
      if (!draining) void drain();
    },
    flushed: () => condition(() => queue.length === 0 && !draining),
  };
}
