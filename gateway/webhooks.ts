// Delivers the sandbox's webhook events at least once: every due delivery is POSTed, signed, and
// retried with backoff (1 s, 2 s, 4 s … at most 5 min apart, for up to 3 days) while the endpoint
// answers anything but 2xx or does not answer. In "chaos" mode (a sandbox switch for tests and the
// chaos run) every event is also sent twice, and sends are delayed at random so they arrive out of
// order — as real gateways sometimes do.
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { fromJson } from '../db';
import { type Emit, EVENT_ID_HEADER, eventOutbox, SIGNATURE_HEADER, signatureHeader } from './events';
import { expirePending } from './ledger';
import type { GatewayDatabase } from './schema';

/** normal; chaos: every event twice, out of order; paused: nothing is sent (deliveries wait, as when the receiver is down). */
export type WebhookMode = 'normal' | 'chaos' | 'paused';

const BATCH = 50;
const SEND_TIMEOUT_MS = 5_000;
const MAX_BACKOFF_MS = 300_000;
const GIVE_UP_AFTER_MS = 3 * 24 * 3_600_000;
const CHAOS_MAX_DELAY_MS = 1_500;

export const backoffMs = (attempts: number) =>
  Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.max(0, attempts - 1));

export interface WebhookSettings {
  /** Where events go (SANDBOX_GATEWAY_WEBHOOK_URLS); none: events are kept, not sent. */
  urls: string[];
  /** Signing secrets; the first signs, and every one of them during a rotation. */
  secrets: string[];
  mode: WebhookMode;
  /** How often due deliveries (and expired pending payments) are looked for. */
  everyMs?: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The outbox, the delivery loop and the switch between normal and chaos delivery. */
export function webhookDelivery(db: Kysely<GatewayDatabase>, settings: WebhookSettings, logger: Logger) {
  let mode = settings.mode;
  const emit: Emit = eventOutbox(() => settings.urls);

  async function send(delivery: {
    id: number;
    event_id: string;
    url: string;
    attempts: number;
    payload: unknown;
  }) {
    const body = JSON.stringify(fromJson(delivery.payload));
    const timestamp = Math.floor(Date.now() / 1000);
    let status: number | null = null;
    let failure: string | null = null;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signatureHeader(settings.secrets, timestamp, body),
          [EVENT_ID_HEADER]: delivery.event_id,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      status = response.status;
      await response.body?.cancel();
    } catch (err) {
      failure = (err as Error).message.slice(0, 500);
    }
    const attempts = delivery.attempts + 1;
    // Counted in SQL: a chaos duplicate is sent alongside, from the same row.
    const counted = sql<number>`attempts + 1`;
    if (status !== null && status >= 200 && status < 300) {
      await db
        .updateTable('gateway_webhook_deliveries')
        .set({ attempts: counted, delivered_at: new Date(), last_status: status, last_error: null })
        .where('id', '=', delivery.id)
        .execute();
      return;
    }
    await db
      .updateTable('gateway_webhook_deliveries')
      .set({
        attempts: counted,
        last_status: status,
        last_error: failure ?? `HTTP ${status}`,
        next_attempt_at: new Date(Date.now() + backoffMs(attempts)),
      })
      .where('id', '=', delivery.id)
      .execute();
  }

  /** One pass: expire lapsed pending payments, then send what is due. */
  async function tick(): Promise<number> {
    await expirePending(db, emit);
    if (mode === 'paused') return 0;
    const due = await db
      .selectFrom('gateway_webhook_deliveries')
      .innerJoin('gateway_webhook_events', 'gateway_webhook_events.id', 'gateway_webhook_deliveries.event_id')
      .select([
        'gateway_webhook_deliveries.id',
        'gateway_webhook_deliveries.event_id',
        'gateway_webhook_deliveries.url',
        'gateway_webhook_deliveries.attempts',
        'gateway_webhook_events.payload',
        'gateway_webhook_events.created_at',
      ])
      .where('gateway_webhook_deliveries.delivered_at', 'is', null)
      .where('gateway_webhook_deliveries.failed_at', 'is', null)
      .where('gateway_webhook_deliveries.next_attempt_at', '<=', new Date())
      .orderBy('gateway_webhook_deliveries.next_attempt_at')
      .limit(BATCH)
      .execute();
    const expired = due.filter((d) => Date.now() - d.created_at.getTime() > GIVE_UP_AFTER_MS);
    if (expired.length > 0) {
      await db
        .updateTable('gateway_webhook_deliveries')
        .set({ failed_at: new Date() })
        .where(
          'id',
          'in',
          expired.map((d) => d.id),
        )
        .execute();
    }
    const live = due.filter((d) => !expired.includes(d));
    if (mode === 'chaos') {
      // Out of order (each waits a random moment) and twice (a duplicate of every send).
      await Promise.all(
        live.flatMap((d) => [
          pause(Math.random() * CHAOS_MAX_DELAY_MS).then(() => send(d)),
          pause(Math.random() * CHAOS_MAX_DELAY_MS).then(() => send(d)),
        ]),
      );
    } else {
      await Promise.all(live.map((d) => send(d)));
    }
    return live.length;
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  return {
    emit,
    get mode() {
      return mode;
    },
    setMode(next: WebhookMode) {
      mode = next;
      logger.info({ mode }, 'Sandbox webhook delivery mode');
    },
    tick,
    start() {
      timer = setInterval(() => {
        if (running) return;
        running = tick()
          .catch((err) => logger.warn({ err }, 'Webhook delivery pass failed'))
          .finally(() => {
            running = undefined;
          });
      }, settings.everyMs ?? 250);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
export type WebhookDelivery = ReturnType<typeof webhookDelivery>;
