// The booking's side of its payments: it starts each attempt as a child payment workflow, follows it
// through the payment's `paymentChanged` signals, and asks it for refunds by signal (a workflow cannot
// send updates). Orchestration only, like the rest of the workflow.
import {
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { failureReason } from '../failures';
import { formatMoney } from '../payment/money';
import {
  type PaymentState,
  paymentChangedSignal,
  paymentWorkflowId,
  refundRequestedSignal,
  voidRequestedSignal,
} from '../payment/shared';
import { paymentWorkflow } from '../payment/workflow';
import type { BookingPayment } from './shared';

const DECIDED = ['CAPTURED', 'DECLINED', 'FAILED', 'VOIDED'];

/** What the booking shows of a payment. */
export const paymentSummary = (p: PaymentState): BookingPayment => ({
  id: p.id,
  status: p.status,
  amount: p.capturedAmount || p.amount,
  refundedAmount: p.refundedAmount,
});

/** Follows the booking's payments; call once, before the workflow's first await. */
export function bookingPayments(bookingId: string) {
  const payments = new Map<string, PaymentState>();
  setHandler(paymentChangedSignal, (payment) => {
    const known = payments.get(payment.id);
    if (!known || known.version < payment.version) payments.set(payment.id, payment);
  });

  return {
    get: (paymentId: string) => payments.get(paymentId),
    /** Captured, declined, failed or voided: nothing more will happen to it without being asked. */
    decided: (paymentId: string) => DECIDED.includes(payments.get(paymentId)?.status ?? ''),
    /** Waiting for the customer to approve it (an asynchronous method). */
    awaitingCustomer: (paymentId: string) => payments.get(paymentId)?.awaitingCustomer === true,

    /** Tells a payment the booking no longer wants it: a pending one is withdrawn at the gateway. */
    async abandon(paymentId: string, reason: string) {
      await getExternalWorkflowHandle(paymentWorkflowId(paymentId))
        .signal(voidRequestedSignal, { reason })
        .catch(() => undefined);
    },

    /** Starts a payment attempt (automatic capture); it outlives the booking, for refunds through the API. */
    async start(request: { paymentId: string; amount: number; currency: string; paymentMethod: string }) {
      await startChild(paymentWorkflow, {
        workflowId: paymentWorkflowId(request.paymentId),
        args: [
          {
            ...request,
            reference: bookingId,
            capture: 'automatic',
            notifyWorkflowId: workflowInfo().workflowId,
          },
        ],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // What the Web UI shows first (amounts are in minor units): metadata, the commands are the same.
        staticSummary: `${formatMoney(request.amount, request.currency)} for booking ${bookingId} (${request.paymentMethod})`,
      });
    },

    /** Asks the payment for a refund and waits for its outcome; RefundFailed if it cannot be made. */
    async refund(paymentId: string, refundId: string): Promise<PaymentState> {
      const known = payments.get(paymentId);
      // Already refunded in full (say, through the payments API): nothing left to give back.
      if (known?.status === 'REFUNDED') return known;
      try {
        await getExternalWorkflowHandle(paymentWorkflowId(paymentId)).signal(refundRequestedSignal, {
          refundId,
        });
      } catch (err) {
        // The payment's workflow has closed (its refund window is over): the refund cannot go through it.
        throw ApplicationFailure.create({
          type: 'RefundFailed',
          message: `refund failed: ${failureReason(err).message}`,
        });
      }
      await condition(
        () =>
          payments.get(paymentId)?.refunds.some((r) => r.id === refundId && r.status !== 'PENDING') ?? false,
      );
      const payment = payments.get(paymentId) as PaymentState;
      const outcome = payment.refunds.find((r) => r.id === refundId);
      if (outcome?.status === 'FAILED') {
        throw ApplicationFailure.create({
          type: 'RefundFailed',
          message: `refund failed: ${outcome.error ?? 'unknown'}`,
        });
      }
      return payment;
    },
  };
}
