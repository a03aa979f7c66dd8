// Payments against the gateway's own record, for a time range: what a lost webhook left open is
// settled (the gateway's view is handed to the payment as an event), what does not match is reported.
import type { Client } from '@temporalio/client';
import { forwardGatewayEvent } from '../../clients/gateway-events';
import {
  authorizationView,
  type GatewayAuthorization,
  type PaymentGateway,
} from '../../clients/payment-gateway';
import type { Db } from '../../db';
import type { PaymentStatus } from '../../workflows/payment/shared';

/** The Troupe status a gateway status corresponds to. */
const EXPECTED: Record<string, PaymentStatus> = {
  pending: 'PENDING',
  authorized: 'AUTHORIZED',
  captured: 'CAPTURED',
  partially_refunded: 'PARTIALLY_REFUNDED',
  refunded: 'REFUNDED',
  declined: 'DECLINED',
  expired: 'VOIDED',
  voided: 'VOIDED',
};

export interface Reconciliation {
  checked: number;
  matching: number;
  /** Payments that differed from the gateway and were handed its view. */
  settled: { paymentId: string; troupe: string; gateway: string }[];
  /** Gateway authorizations Troupe has no payment for (no Troupe id in their metadata, or no such payment). */
  unknownToTroupe: string[];
  /** Payments that could not be handed the gateway's view (their workflow has closed). */
  closed: { paymentId: string; troupe: string; gateway: string }[];
}

export async function reconcilePayments(
  deps: { db: Db; temporal: Client; gateway: PaymentGateway },
  range: { from: Date; to: Date },
  options: { dryRun?: boolean } = {},
): Promise<Reconciliation> {
  const report: Reconciliation = { checked: 0, matching: 0, settled: [], unknownToTroupe: [], closed: [] };
  for await (const auth of deps.gateway.list(range)) {
    report.checked++;
    const paymentId = auth.metadata?.troupe_payment_id;
    const row = paymentId
      ? await deps.db
          .selectFrom('payments')
          .select(['status', 'captured_minor', 'refunded_minor'])
          .where('id', '=', paymentId)
          .executeTakeFirst()
      : undefined;
    if (!paymentId || !row) {
      report.unknownToTroupe.push(auth.id);
      continue;
    }
    const agrees =
      EXPECTED[auth.status] === row.status &&
      auth.captured === row.captured_minor &&
      auth.refunded === row.refunded_minor;
    if (agrees) {
      report.matching++;
      continue;
    }
    const difference = { paymentId, troupe: row.status, gateway: auth.status };
    if (options.dryRun) {
      report.settled.push(difference);
      continue;
    }
    const outcome = await forwardGatewayEvent(deps.temporal, paymentId, asEvent(auth));
    (outcome === 'forwarded' ? report.settled : report.closed).push(difference);
  }
  return report;
}

/** The gateway's current view as an event (its id names the view, so repeating it changes nothing). */
function asEvent(auth: GatewayAuthorization) {
  return {
    id: `reconcile:${auth.id}:${auth.version ?? 0}`,
    type: 'reconciliation',
    authorization: authorizationView(auth),
  };
}
