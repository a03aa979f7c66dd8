import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  metricMeter,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { PaymentActivities } from '../../activities/payment';
import { failureReason } from '../failures';
import { type WebhookEmitter, webhookEmitter } from '../webhooks/emit';
import { callOrWebhook, followGateway } from './gateway-events';
import {
  capturePaymentUpdate,
  FINAL_AUTHORIZATION_STATUSES,
  idempotencyKey,
  PAYMENT_GATEWAY_EVENTS,
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
/** An asynchronous payment is given this long past the gateway's expiry for its webhook to arrive. */
const ACTION_GRACE_MS = 60_000;
/** When the gateway gives no expiry for a pending payment. */
const DEFAULT_ACTION_WAIT_MS = 15 * 60_000;

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
  // Webhooks and asynchronous methods (runs started before this follow the gateway by its answers only).
  const events = patched(PAYMENT_GATEWAY_EVENTS);
  const gw = followGateway();
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
    // An asynchronous payment answers as soon as it waits for the customer (the API says 202).
    await condition(() => done.includes(state.status) || state.awaitingCustomer === true);
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
  const webhooks = webhookEmitter();
  const publish = async (changes: Partial<PaymentState>) => {
    const next = { ...state, ...changes, version: state.version + 1 };
    await bookkeeping.recordPayment(next);
    const before = { ...state };
    Object.assign(state, next);
    emitChanges(webhooks, before, next);
    upsertSearchAttributes([{ key: PaymentStatusAttribute, value: state.status }]);
    if (input.notifyWorkflowId)
      await getExternalWorkflowHandle(input.notifyWorkflowId).signal(paymentChangedSignal, state);
  };
  const finish = async () => {
    await condition(allHandlersFinished);
    await webhooks.flushed();
    return state;
  };
  const fail = async (err: unknown, step: string) => {
    const error = failureOf(err, step);
    log.warn('Payment failed', { paymentId: state.id, ...error });
    await publish({ status: 'FAILED', error });
  };

  // 1. Authorize. An asynchronous method (UPI collect, a bank redirect) answers PENDING: the customer
  // decides in their app, and the gateway's webhook says how (or a read, if the webhook is late).
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
    if (auth.outcome === 'pending') {
      if (!events) throw ApplicationFailure.nonRetryable('asynchronous payment methods need a newer worker');
      const decided = await awaitCustomer(authorizationId, auth.expiresAt);
      if (!decided) return finish();
    }
  } catch (err) {
    await fail(err, 'authorize');
    return finish();
  }
  await publish({ status: 'AUTHORIZED', authorizationId, awaitingCustomer: false });

  // 2. Capture, at once or when asked; an authorization nobody captures is voided. A capture whose
  // answer was lost settles when the gateway's `payment.captured` webhook arrives (no second capture:
  // the retried call carries the same idempotency key).
  if (
    input.capture === 'manual' &&
    !(await condition(() => captureRequest !== undefined, AUTHORIZATION_HOLD, {
      summary: 'authorization hold lapses',
    }))
  ) {
    await gateway.voidPayment({ paymentId: input.paymentId, authorizationId });
    await publish({ status: 'VOIDED' });
    return finish();
  }
  const captureCall = () =>
    gateway.capturePayment({ paymentId: input.paymentId, authorizationId, amount: captureRequest?.amount });
  try {
    let captured: number;
    if (events) {
      const outcome = await callOrWebhook(captureCall, () => gw.captured() > 0);
      captured = outcome.by === 'call' ? outcome.result.captured : gw.captured();
    } else captured = (await captureCall()).captured;
    await publish({ status: 'CAPTURED', capturedAmount: captured });
    captures.add(1, { currency: input.currency });
  } catch (err) {
    // The call gave up, but the gateway's webhook may already have said it captured.
    if (events && gw.captured() > 0) {
      await publish({ status: 'CAPTURED', capturedAmount: gw.captured() });
      captures.add(1, { currency: input.currency });
    } else {
      await fail(err, 'capture');
      return finish();
    }
  }

  // 3. Refunds, one at a time, until all is refunded or the window closes.
  while (state.refundedAmount < state.capturedAmount) {
    // Timer summaries name the timers in the Web UI (metadata: the commands are the same).
    if (!(await condition(() => refundQueue.length > 0, REFUND_WINDOW, { summary: 'refund window closes' })))
      break;
    // The head stays queued until settled, so validators keep counting it.
    const request = refundQueue[0];
    if (!request) continue;
    const pending: PaymentRefund = { id: request.refundId, amount: request.amount, status: 'PENDING' };
    await publish({ refunds: [...state.refunds, pending] });
    const settle = (refund: PaymentRefund) => state.refunds.map((r) => (r.id === refund.id ? refund : r));
    const key = idempotencyKey(input.paymentId, `refund:${request.refundId}`);
    const refundCall = () =>
      gateway.refundPayment({
        paymentId: input.paymentId,
        authorizationId,
        refundId: request.refundId,
        amount: request.amount,
      });
    try {
      let refunded: number;
      if (events) {
        const outcome = await callOrWebhook(refundCall, () => gw.refund(key) !== undefined);
        const byWebhook = outcome.by === 'webhook' ? gw.refund(key) : undefined;
        if (byWebhook?.status === 'failed')
          throw ApplicationFailure.nonRetryable('the bank declined the refund', 'RefundDeclined');
        refunded = outcome.by === 'call' ? outcome.result.refunded : (byWebhook?.amount ?? request.amount);
      } else refunded = (await refundCall()).refunded;
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

  /**
   * An asynchronous payment waits for the customer: until the gateway's webhook says what they did,
   * the booking gives up on it, or the request lapses (its expiry plus a margin, read from the gateway
   * then, in case the webhook was lost). Returns whether it was authorized; otherwise it has recorded
   * how it ended (DECLINED, or VOIDED when it lapsed or was given up).
   */
  async function awaitCustomer(id: string, expiresAt: string | undefined): Promise<boolean> {
    await publish({
      status: 'PENDING',
      authorizationId: id,
      awaitingCustomer: true,
      actionExpiresAt: expiresAt,
    });
    const waitMs = expiresAt ? Date.parse(expiresAt) - Date.now() + ACTION_GRACE_MS : DEFAULT_ACTION_WAIT_MS;
    await condition(() => gw.decided() || gw.voidRequested() !== undefined, Math.max(1, waitMs), {
      summary: 'customer approval expires',
    });
    if (!gw.decided() && gw.voidRequested() === undefined)
      gw.learn(await gateway.getAuthorization({ authorizationId: id }));
    const status = gw.view()?.status;
    if (gw.voidRequested() !== undefined || status === 'pending' || status === undefined) {
      // Nobody approved in time, or the booking no longer wants it: withdraw the request (an approval
      // that raced in is voided too; nothing was captured).
      await gateway.voidPayment({ paymentId: input.paymentId, authorizationId: id });
      const reason = gw.voidRequested() ?? 'the customer did not approve the payment in time';
      await publish({
        status: 'VOIDED',
        awaitingCustomer: false,
        error: { type: 'PaymentExpired', message: reason },
      });
      return false;
    }
    if (status === 'declined' || status === 'expired' || status === 'voided') {
      const expired = status !== 'declined';
      await publish({
        status: expired ? 'VOIDED' : 'DECLINED',
        awaitingCustomer: false,
        error: expired
          ? { type: 'PaymentExpired', message: 'the payment request lapsed before the customer approved it' }
          : { type: 'PaymentDeclined', message: 'the customer declined the payment' },
      });
      return false;
    }
    return true;
  }
}

function failureOf(err: unknown, step: string): { type: string; message: string } {
  const { type, message } = failureReason(err);
  return { type, message: `${step}: ${message}` };
}

/** What subscribers hear about a change (README "Webhooks"): captured, failed, each refund that succeeds. */
function emitChanges(webhooks: WebhookEmitter, before: PaymentState, after: PaymentState) {
  if (after.status !== before.status) {
    if (after.status === 'CAPTURED') webhooks.emit('payment.captured', after.id);
    if (after.status === 'FAILED' || after.status === 'DECLINED') webhooks.emit('payment.failed', after.id);
  }
  for (const refund of after.refunds) {
    const was = before.refunds.find((r) => r.id === refund.id);
    if (refund.status === 'SUCCEEDED' && was?.status !== 'SUCCEEDED')
      webhooks.emit('payment.refunded', after.id, refund.id);
  }
}
