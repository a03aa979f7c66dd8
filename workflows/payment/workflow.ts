import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  metricMeter,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { PaymentActivities } from '../../activities/payment';
import { failureReason } from '../failures';
import {
  capturePaymentUpdate,
  FINAL_AUTHORIZATION_STATUSES,
  type PaymentInput,
  type PaymentRefund,
  type PaymentState,
  PaymentStatusAttribute,
  paymentChangedSignal,
  paymentStateQuery,
  type RefundRequest,
  refundPaymentUpdate,
  refundRequestedSignal,
  submitPaymentUpdate,
} from './shared';

/** How long a manual-capture authorization waits for its capture before it is voided. */
const AUTHORIZATION_HOLD = '7 days';
/** How long a captured payment accepts refunds. */
const REFUND_WINDOW = '180 days';

// Gateway calls: bounded retries with backoff; declines are answers, not errors; other 4xx are final.
const gateway = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
  },
});
const bookkeeping = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const captures = metricMeter.createCounter('troupe_payment_captures', 'payments', 'Payments captured');
const refunds = metricMeter.createCounter('troupe_payment_refunds', 'refunds', 'Refunds, by outcome');

/**
 * The Payment actor: authorize, capture (at once or on request), refund on demand, each exactly once
 * at the gateway thanks to idempotency keys fixed by this workflow. Runs standalone (POST /payments)
 * or as a booking's child, which it signals with every change.
 */
export async function paymentWorkflow(input: PaymentInput): Promise<PaymentState> {
  const state: PaymentState = {
    id: input.paymentId,
    status: 'PENDING',
    amount: input.amount,
    currency: input.currency,
    captureMode: input.capture,
    ...(input.reference && { reference: input.reference }),
    capturedAmount: 0,
    refundedAmount: 0,
    refunds: [],
    version: 0,
  };
  let captureRequest: { amount?: number } | undefined;
  const refundQueue: Required<RefundRequest>[] = [];

  // What may still be refunded: captured, less refunded, less refunds queued (the head is in flight).
  const refundable = () =>
    state.capturedAmount - state.refundedAmount - refundQueue.reduce((sum, r) => sum + r.amount, 0);
  const knownRefund = (refundId: string) =>
    state.refunds.some((r) => r.id === refundId) || refundQueue.some((r) => r.refundId === refundId);
  const enqueueRefund = (request: RefundRequest) => {
    if (knownRefund(request.refundId)) return;
    refundQueue.push({ refundId: request.refundId, amount: request.amount ?? refundable() });
  };
  const settledRefund = (refundId: string) =>
    state.refunds.find((r) => r.id === refundId && r.status !== 'PENDING');

  setHandler(paymentStateQuery, () => state);
  setHandler(submitPaymentUpdate, async () => {
    const done =
      input.capture === 'automatic'
        ? ['CAPTURED', ...FINAL_AUTHORIZATION_STATUSES]
        : ['AUTHORIZED', 'CAPTURED', ...FINAL_AUTHORIZATION_STATUSES];
    await condition(() => done.includes(state.status));
    if (state.status === 'DECLINED') {
      throw ApplicationFailure.create({
        type: 'PaymentDeclined',
        message: state.error?.message ?? 'declined',
        details: [state],
      });
    }
    if (state.status === 'FAILED') {
      throw ApplicationFailure.create({
        type: 'PaymentFailed',
        message: state.error?.message ?? 'failed',
        details: [state],
      });
    }
    return state;
  });
  setHandler(
    capturePaymentUpdate,
    async (request) => {
      captureRequest = request;
      await condition(() => state.status !== 'AUTHORIZED');
      if (state.status !== 'CAPTURED') {
        throw ApplicationFailure.create({
          type: 'CaptureFailed',
          message: state.error?.message ?? `payment is ${state.status}`,
        });
      }
      return state;
    },
    {
      validator: ({ amount }) => {
        if (state.status !== 'AUTHORIZED' || captureRequest) {
          throw ApplicationFailure.create({
            type: 'InvalidState',
            message: `payment is ${state.status}; only an AUTHORIZED payment can be captured`,
          });
        }
        if (amount !== undefined && amount > state.amount) {
          throw ApplicationFailure.create({
            type: 'AmountTooLarge',
            message: `cannot capture ${amount}; ${state.amount} was authorized`,
          });
        }
      },
    },
  );
  setHandler(
    refundPaymentUpdate,
    async (request) => {
      enqueueRefund(request);
      await condition(() => settledRefund(request.refundId) !== undefined);
      const refund = settledRefund(request.refundId);
      if (refund?.status === 'FAILED')
        throw ApplicationFailure.create({ type: 'RefundFailed', message: refund.error ?? 'refund failed' });
      return state;
    },
    {
      validator: (request) => {
        if (knownRefund(request.refundId)) return; // a retry of the same refund: answered with its outcome
        if (state.status !== 'CAPTURED' && state.status !== 'PARTIALLY_REFUNDED') {
          throw ApplicationFailure.create({
            type: 'InvalidState',
            message: `payment is ${state.status}; only captured money can be refunded`,
          });
        }
        const left = refundable();
        if (left <= 0)
          throw ApplicationFailure.create({ type: 'InvalidState', message: 'nothing is left to refund' });
        if (request.amount !== undefined && request.amount > left) {
          throw ApplicationFailure.create({
            type: 'AmountTooLarge',
            message: `cannot refund ${request.amount}; ${left} is left to refund`,
          });
        }
      },
    },
  );
  setHandler(refundRequestedSignal, enqueueRefund);

  /** Records a change in MySQL first, then applies it: handlers and listeners only ever see what is stored. */
  const publish = async (changes: Partial<PaymentState>) => {
    const next = { ...state, ...changes, version: state.version + 1 };
    await bookkeeping.recordPayment(next);
    Object.assign(state, next);
    upsertSearchAttributes([{ key: PaymentStatusAttribute, value: state.status }]);
    if (input.notifyWorkflowId)
      await getExternalWorkflowHandle(input.notifyWorkflowId).signal(paymentChangedSignal, state);
  };
  const finish = async () => {
    await condition(allHandlersFinished);
    return state;
  };
  const fail = async (err: unknown, step: string) => {
    const error = failureOf(err, step);
    log.warn('Payment failed', { paymentId: state.id, ...error });
    await publish({ status: 'FAILED', error });
  };

  // 1. Authorize.
  let authorizationId: string;
  try {
    const auth = await gateway.authorizePayment({
      paymentId: input.paymentId,
      amount: input.amount,
      currency: input.currency,
      paymentMethod: input.paymentMethod,
      reference: input.reference,
    });
    authorizationId = auth.authorizationId;
    if (auth.outcome === 'declined') {
      await publish({
        status: 'DECLINED',
        authorizationId,
        error: { type: 'PaymentDeclined', message: `${auth.message} (${auth.code})` },
      });
      return finish();
    }
  } catch (err) {
    await fail(err, 'authorize');
    return finish();
  }
  await publish({ status: 'AUTHORIZED', authorizationId });

  // 2. Capture, at once or when asked; an authorization nobody captures is voided.
  if (
    input.capture === 'manual' &&
    !(await condition(() => captureRequest !== undefined, AUTHORIZATION_HOLD))
  ) {
    await gateway.voidPayment({ paymentId: input.paymentId, authorizationId });
    await publish({ status: 'VOIDED' });
    return finish();
  }
  try {
    const { captured } = await gateway.capturePayment({
      paymentId: input.paymentId,
      authorizationId,
      amount: captureRequest?.amount,
    });
    await publish({ status: 'CAPTURED', capturedAmount: captured });
    captures.add(1, { currency: input.currency });
  } catch (err) {
    await fail(err, 'capture');
    return finish();
  }

  // 3. Refunds, one at a time, until all is refunded or the window closes.
  while (state.refundedAmount < state.capturedAmount) {
    if (!(await condition(() => refundQueue.length > 0, REFUND_WINDOW))) break;
    // The head stays queued until settled, so validators keep counting it.
    const request = refundQueue[0];
    if (!request) continue;
    const pending: PaymentRefund = { id: request.refundId, amount: request.amount, status: 'PENDING' };
    await publish({ refunds: [...state.refunds, pending] });
    const settle = (refund: PaymentRefund) => state.refunds.map((r) => (r.id === refund.id ? refund : r));
    try {
      const { refunded } = await gateway.refundPayment({
        paymentId: input.paymentId,
        authorizationId,
        refundId: request.refundId,
        amount: request.amount,
      });
      const refundedAmount = state.refundedAmount + refunded;
      await publish({
        refunds: settle({ ...pending, amount: refunded, status: 'SUCCEEDED' }),
        refundedAmount,
        status: refundedAmount >= state.capturedAmount ? 'REFUNDED' : 'PARTIALLY_REFUNDED',
      });
      refunds.add(1, { outcome: 'succeeded', currency: input.currency });
    } catch (err) {
      await publish({
        refunds: settle({ ...pending, status: 'FAILED', error: failureOf(err, 'refund').message }),
      });
      refunds.add(1, { outcome: 'failed', currency: input.currency });
    }
    refundQueue.shift();
  }
  return finish();
}

function failureOf(err: unknown, step: string): { type: string; message: string } {
  const { type, message } = failureReason(err);
  return { type, message: `${step}: ${message}` };
}
