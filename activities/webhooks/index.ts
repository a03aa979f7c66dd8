import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { startWebhookDelivery } from '../../clients/webhook-deliveries';
import type { WebhookSettings } from '../../config';
import type { Db } from '../../db';
import {
  beginAttempt,
  closeDelivery,
  deliveryToAttempt,
  finishAttempt,
  insertDelivery,
  insertWebhookEvent,
  webhookDeliveryId,
  webhookEventId,
} from '../../db/webhook-deliveries';
import { markEndpointFailing, markEndpointHealthy, subscribedEndpoints } from '../../db/webhook-endpoints';
import type { SecretSealer } from '../../encryption/secrets';
import { type AttemptOutcome, type EmitWebhookEvent, entityOf } from '../../workflows/webhooks/shared';
import { type WebhookPoster, webhookPoster } from './http';
import { webhookHeaders } from './signing';
import { entityView } from './snapshot';

export interface WebhookDeps {
  db: Db;
  /** Connected on first use (an event with a subscriber), so a worker with no endpoints opens nothing. */
  temporal: () => Promise<Client>;
  /** The worker's main task queue; deliveries run on `webhookTaskQueue(taskQueue)`. */
  taskQueue: string;
  settings: WebhookSettings;
  secrets: SecretSealer;
  /** Tests pass their own; otherwise built from the settings. */
  post?: WebhookPoster;
}

export function createWebhookActivities(deps: WebhookDeps) {
  const { db, settings } = deps;
  const post =
    deps.post ?? webhookPoster({ timeoutMs: settings.timeoutMs, allowPrivate: settings.allowPrivate });

  /** Stores the event once and starts one delivery per enabled endpoint that asked for its type. */
  async function publishWebhookEvent(event: EmitWebhookEvent): Promise<{ deliveries: number }> {
    const endpoints = await subscribedEndpoints(db, event.type);
    if (endpoints.length === 0) return { deliveries: 0 };
    const id = webhookEventId(event);
    const data = await entityView(db, entityOf(event.type), event.entityId);
    const body = JSON.stringify({ id, type: event.type, occurredAt: event.occurredAt, data });
    await insertWebhookEvent(db, {
      id,
      type: event.type,
      entityId: event.entityId,
      occurredAt: new Date(event.occurredAt),
      body,
    });
    const temporal = await deps.temporal();
    // Endpoints in parallel: the workflow waits for its events to be published before it ends.
    await Promise.all(
      endpoints.map(async (endpoint) => {
        const deliveryId = webhookDeliveryId(id, endpoint.id);
        await insertDelivery(db, { id: deliveryId, endpointId: endpoint.id, eventId: id });
        await startWebhookDelivery(temporal, deps.taskQueue, {
          deliveryId,
          retryScheduleMs: settings.retryScheduleMs,
        });
      }),
    );
    return { deliveries: endpoints.length };
  }

  /**
   * One attempt of a delivery: sign with the endpoint's secret(s), POST, log it. Every HTTP outcome is
   * an answer (2xx delivered; 410 gone, which disables the endpoint; anything else a retry); only
   * MySQL trouble throws, and is retried by Temporal.
   */
  async function attemptWebhookDelivery(input: {
    deliveryId: string;
    /** When the workflow will retry if this attempt fails; null when it is the last. */
    nextAttemptInMs: number | null;
  }): Promise<AttemptOutcome> {
    const delivery = await deliveryToAttempt(db, input.deliveryId);
    if (!delivery) throw new Error(`delivery ${input.deliveryId} is not stored`);
    if (!delivery.url || !delivery.secret) {
      await closeDelivery(db, input.deliveryId, 'failed', 'the endpoint was deleted');
      return 'failed';
    }
    if (!delivery.enabled) {
      await closeDelivery(db, input.deliveryId, 'disabled', 'the endpoint is disabled');
      return 'disabled';
    }
    const secrets = [deps.secrets.open(delivery.secret)];
    if (delivery.previousSecret && delivery.previousSecretUntil && delivery.previousSecretUntil > new Date())
      secrets.push(deps.secrets.open(delivery.previousSecret));

    const attempt = await beginAttempt(db, input.deliveryId);
    const headers = webhookHeaders(secrets, { id: delivery.eventId, at: new Date(), body: delivery.body });
    // Heartbeats while the receiver takes its time: a worker that dies mid-attempt is noticed within
    // the heartbeat timeout and the attempt is made again elsewhere.
    const beat = setInterval(() => Context.current().heartbeat(), 1_000);
    const result = await post(delivery.url, headers, delivery.body).finally(() => clearInterval(beat));

    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const gone = result.statusCode === 410;
    let outcome: AttemptOutcome = ok ? 'delivered' : gone ? 'gone' : 'retry';
    if (outcome === 'retry' && input.nextAttemptInMs === null) outcome = 'failed';
    const nextAttemptAt =
      outcome === 'retry' ? new Date(Date.now() + (input.nextAttemptInMs as number)) : null;
    await finishAttempt(db, {
      deliveryId: input.deliveryId,
      attempt,
      ...result,
      status: outcome === 'retry' ? 'pending' : outcome,
      nextAttemptAt,
    });
    if (ok) await markEndpointHealthy(db, delivery.endpointId);
    else {
      const disabled = await markEndpointFailing(db, delivery.endpointId, {
        disableAfterMs: settings.disableAfterMs,
        ...(gone && { goneReason: 'the receiver answered 410 Gone' }),
      });
      if (disabled && outcome === 'retry') {
        await closeDelivery(db, input.deliveryId, 'disabled', 'the endpoint was disabled');
        outcome = 'disabled';
      }
    }
    attemptsCounter().add(1, { outcome: ok ? 'delivered' : gone ? 'gone' : 'failed' });
    return outcome;
  }

  return { publishWebhookEvent, attemptWebhookDelivery };
}

/** `troupe_webhook_attempts{outcome}` on the worker's Prometheus endpoint. */
const attemptsCounter = () =>
  Context.current().metricMeter.createCounter(
    'troupe_webhook_attempts',
    'attempts',
    'Webhook delivery attempts',
  );

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
