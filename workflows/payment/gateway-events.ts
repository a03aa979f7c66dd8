// What the payment knows of the gateway's side: the newest view of its authorization from webhooks
// (or a read when a webhook is late), the outcome of each refund by its idempotency key, and whether
// the booking gave up on it. Orchestration only: events arrive as signals; nothing here does I/O.
import { CancellationScope, condition, setHandler } from '@temporalio/workflow';
import { type AuthorizationView, type GatewayEvent, gatewayEventSignal, voidRequestedSignal } from './shared';

/** Statuses from which the customer's decision is known (the authorization is no longer pending). */
const DECIDED = ['authorized', 'captured', 'partially_refunded', 'refunded', 'declined', 'expired', 'voided'];
/** How many event ids are remembered to drop duplicates (stale ones are dropped by version anyway). */
const SEEN_LIMIT = 500;

/** Follows the gateway's events for this payment; call once, before the workflow's first await. */
export function followGateway() {
  let view: AuthorizationView | undefined;
  const seen: string[] = [];
  const refunds = new Map<string, NonNullable<GatewayEvent['refund']>>();
  let voidReason: string | undefined;

  /** Keeps a view only if it is newer than what is known (events arrive late, twice, out of order). */
  const learn = (next: AuthorizationView) => {
    if (!view || next.version > view.version) view = next;
  };
  setHandler(gatewayEventSignal, (event) => {
    if (seen.includes(event.id)) return;
    seen.push(event.id);
    if (seen.length > SEEN_LIMIT) seen.shift();
    learn(event.authorization);
    if (event.refund) refunds.set(event.refund.idempotencyKey, event.refund);
  });
  setHandler(voidRequestedSignal, ({ reason }) => {
    voidReason ??= reason;
  });

  return {
    learn,
    view: () => view,
    /** The customer approved or declined (or the request lapsed, or was withdrawn). */
    decided: () => view !== undefined && DECIDED.includes(view.status),
    /** Captured money the gateway reports, 0 if none (yet). */
    captured: () => view?.captured ?? 0,
    refund: (idempotencyKey: string) => refunds.get(idempotencyKey),
    voidRequested: () => voidReason,
  };
}

/**
 * Runs a gateway call, but settles with what the gateway's webhook says if the webhook says it first
 * (a call whose answer was lost keeps retrying; the gateway has done it already). The call is then
 * cancelled; it carries the same idempotency key, so even if it still lands it changes nothing.
 */
export async function callOrWebhook<T>(
  call: () => Promise<T>,
  settledByWebhook: () => boolean,
): Promise<{ by: 'call'; result: T } | { by: 'webhook' }> {
  const scope = new CancellationScope();
  const calling = scope.run(call);
  const winner = await Promise.race([
    calling.then((result) => ({ by: 'call' as const, result })),
    condition(settledByWebhook).then(() => ({ by: 'webhook' as const })),
  ]);
  if (winner.by === 'webhook') {
    scope.cancel();
    calling.catch(() => undefined);
  }
  return winner;
}
