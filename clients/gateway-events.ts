import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type GatewayEvent, gatewayEventSignal, paymentWorkflowId } from '../workflows/payment/shared';

/**
 * Hands a stored gateway event to its payment workflow (a signal: Temporal keeps it; the workflow
 * takes it when it runs). `closed`: the payment has finished (nothing left for the event to change);
 * `unmatched`: no such payment exists — an event for a payment Troupe does not know.
 */
export async function forwardGatewayEvent(
  temporal: Client,
  paymentId: string,
  event: GatewayEvent,
): Promise<'forwarded' | 'closed' | 'unmatched'> {
  const handle = temporal.workflow.getHandle(paymentWorkflowId(paymentId));
  try {
    await handle.signal(gatewayEventSignal, event);
    return 'forwarded';
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    return handle.describe().then(
      () => 'closed' as const,
      (missing) => {
        if (missing instanceof WorkflowNotFoundError) return 'unmatched' as const;
        throw missing;
      },
    );
  }
}
