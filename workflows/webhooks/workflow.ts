import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { WebhookActivities } from '../../activities/webhooks';
import { redeliverNowSignal, type WebhookDeliveryInput, type WebhookDeliveryResult } from './shared';

// One attempt is one HTTP request (WEBHOOK_TIMEOUT_MS at most) plus bookkeeping. The activity answers
// every HTTP outcome itself; it throws only when MySQL is out of reach, and that is retried until back.
// It heartbeats every second, so an attempt on a worker that died is made again within 5 s.
const { attemptWebhookDelivery } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** ±10 %, so endpoints that failed together are not retried in lockstep (Math.random is replay-safe here). */
const jittered = (ms: number) => Math.round(ms * (0.9 + Math.random() * 0.2));

/**
 * One event to one endpoint, at least once, always with the same `webhook-id`: an attempt, then one per
 * entry of the retry schedule on durable timers (about three days by default), until a 2xx, a 410, or
 * the endpoint is disabled. `redeliverNow` cuts a wait short.
 */
export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  let now = false;
  setHandler(redeliverNowSignal, () => {
    now = true;
  });
  const schedule = input.retryScheduleMs;
  for (let attempt = 1; ; attempt++) {
    const delay = attempt <= schedule.length ? jittered(schedule[attempt - 1] as number) : undefined;
    const outcome = await attemptWebhookDelivery({
      deliveryId: input.deliveryId,
      nextAttemptInMs: delay ?? null,
    });
    if (outcome !== 'retry') return { deliveryId: input.deliveryId, outcome, attempts: attempt };
    if (delay === undefined) return { deliveryId: input.deliveryId, outcome: 'failed', attempts: attempt };
    now = false;
    await condition(() => now, delay);
  }
}
