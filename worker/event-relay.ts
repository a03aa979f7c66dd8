import type { Client } from '@temporalio/client';
import { forwardGatewayEvent } from '../clients/gateway-events';
import { type Db, fromJson } from '../db';
import { eventsToForward, markGatewayEvent } from '../db/gateway-events';
import type { Logger } from '../observability/logger';
import type { GatewayEvent } from '../workflows/payment/shared';
import { periodic } from './periodic';

/** A stored event younger than this may still be on its way from the API: leave it alone. */
export const FORWARD_AFTER_MS = 10_000;

export interface EventRelayDeps {
  db: Db;
  temporal: Client;
  logger: Logger;
}

/**
 * The outbox relay for the gateway's webhook events: the API stores each event, answers, and hands it
 * to its payment; one it could not hand over (Temporal away, the API gone) is forwarded here. The
 * payment drops duplicates by event id, so forwarding twice is harmless. Returns what it did.
 */
export async function relayGatewayEvents(deps: EventRelayDeps, olderThanMs = FORWARD_AFTER_MS) {
  const done = { forwarded: [] as string[], unmatched: [] as string[] };
  for (const row of await eventsToForward(deps.db, olderThanMs)) {
    if (!row.payment_id) continue;
    try {
      const event = fromJson<GatewayEvent>(row.payload) as GatewayEvent;
      const outcome = await forwardGatewayEvent(deps.temporal, row.payment_id, event);
      const status = outcome === 'unmatched' ? 'unmatched' : 'forwarded';
      await markGatewayEvent(deps.db, row.event_id, status);
      done[status].push(row.event_id);
    } catch (err) {
      deps.logger.warn(
        { err, eventId: row.event_id },
        'Could not forward a gateway event; trying again later',
      );
    }
  }
  if (done.forwarded.length + done.unmatched.length > 0) deps.logger.info(done, 'Relayed gateway events');
  return done;
}

export function startEventRelay(
  deps: EventRelayDeps,
  timing: { everyMs?: number; olderThanMs?: number } = {},
) {
  return periodic({
    name: 'Gateway event relay',
    temporal: deps.temporal,
    logger: deps.logger,
    everyMs: timing.everyMs ?? 5_000,
    pass: () => relayGatewayEvents(deps, timing.olderThanMs),
  });
}
