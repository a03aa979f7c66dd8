import { createHash, randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { z } from 'zod';
import {
  capturePaymentUpdate,
  PaymentStatusAttribute,
  paymentWorkflowId,
  refundPaymentUpdate,
  submitPaymentUpdate,
} from '../../workflows/payment/shared';
import type { paymentWorkflow } from '../../workflows/payment/workflow';
import { bookingTaskQueue } from '../../workflows/task-queues';
import type { ApiDeps } from '../deps';
import { notFound, Problem, problemSchema, problemType } from '../http/problem';
import { route } from '../http/route';
import {
  isWorkflowClosed,
  type UpdateFailure,
  updateFailure,
  withinAnswerTime,
} from '../http/workflow-errors';
import { claimIdempotencyKey, idempotencyKeyHeader } from '../idempotency';
import {
  capturePaymentBody,
  createPaymentBody,
  type PaymentView,
  paymentId,
  paymentSchema,
  refundPaymentBody,
} from './schemas';
import { findPayment } from './store';

const location = z.object({ Location: z.string() });

/** A payment that did not go through, as the HTTP answer. */
function refused(payment: PaymentView): Problem {
  if (payment.status === 'DECLINED') {
    return new Problem(402, payment.error?.message ?? 'The card was declined', {
      type: problemType('payment-declined'),
      title: 'Payment declined',
      extensions: { payment },
    });
  }
  // The gateway refused the request itself (e.g. an unknown payment method): the caller's to fix.
  const status = payment.error?.type === 'InvalidRequest' ? 422 : 502;
  return new Problem(status, payment.error?.message ?? 'The payment failed', {
    type: problemType('payment-failed'),
    title: 'Payment failed',
    extensions: { payment },
  });
}

/** An update the payment refused: wrong state (409) or an amount over the limit (422). */
function rejected(failure: UpdateFailure): Problem {
  return failure.type === 'AmountTooLarge'
    ? new Problem(422, failure.message, { type: problemType('amount-too-large'), title: 'Amount too large' })
    : new Problem(409, failure.message, {
        type: problemType('payment-state'),
        title: 'Payment cannot do that now',
      });
}

export function paymentRoutes({ db, temporal, config }: ApiDeps) {
  const withinTime = <T>(work: () => Promise<T>) =>
    withinAnswerTime(temporal, config.workflowAnswerTimeoutMs, work);
  const load = async (id: string) => {
    const payment = await findPayment(db, id);
    if (!payment) throw notFound(`Payment ${id}`);
    return payment;
  };

  return [
    route({
      method: 'post',
      path: '/api/v1/payments',
      operationId: 'createPayment',
      summary: 'Authorize (and capture) a payment',
      description:
        'Starts a payment workflow and answers once it is authorized (and captured, with capture "automatic") or declined. ' +
        'The Idempotency-Key is required: the same key returns the same payment and never charges twice.',
      tags: ['Payments'],
      request: {
        body: createPaymentBody,
        headers: z.object({ 'idempotency-key': idempotencyKeyHeader.unwrap() }),
      },
      responses: {
        201: { description: 'AUTHORIZED or CAPTURED', schema: paymentSchema, headers: location },
        202: {
          description:
            "PENDING: an asynchronous method (e.g. pm_upi_collect) waits for the customer to approve it; the gateway's webhook settles it",
          schema: paymentSchema,
          headers: location,
        },
        402: { description: 'Declined; `payment` has the details', schema: problemSchema },
        422: {
          description: 'The gateway refused the request (e.g. unknown payment method), or the key was reused',
          schema: problemSchema,
        },
        502: { description: 'The gateway failed', schema: problemSchema },
      },
      async handler({ body, headers }) {
        const key = headers['idempotency-key'];
        let id = `pay_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
        id = await claimIdempotencyKey(db, { scope: 'payment', key, request: body, resourceId: id });
        try {
          await withinTime(() =>
            temporal.workflow.executeUpdateWithStart(submitPaymentUpdate, {
              updateId: 'submit',
              startWorkflowOperation: new WithStartWorkflowOperation<typeof paymentWorkflow>(
                'paymentWorkflow',
                {
                  workflowId: paymentWorkflowId(id),
                  taskQueue: bookingTaskQueue(config.temporal.taskQueue),
                  args: [{ paymentId: id, ...body }],
                  workflowIdConflictPolicy: 'USE_EXISTING',
                  workflowIdReusePolicy: 'REJECT_DUPLICATE',
                  typedSearchAttributes: [{ key: PaymentStatusAttribute, value: 'PENDING' }],
                },
              ),
            }),
          );
        } catch (err) {
          // Declines and failures are read back from MySQL below, as are retries of finished payments.
          if (!updateFailure(err) && !isWorkflowClosed(err)) throw err;
        }
        const payment = await load(id);
        if (['DECLINED', 'FAILED'].includes(payment.status)) throw refused(payment);
        return {
          status: payment.awaitingCustomer ? 202 : 201,
          body: payment,
          headers: { Location: `/api/v1/payments/${id}` },
        };
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/payments/{id}',
      operationId: 'getPayment',
      summary: 'Get a payment with its captures and refunds',
      tags: ['Payments'],
      request: { params: z.object({ id: paymentId }) },
      responses: {
        200: { description: 'The payment', schema: paymentSchema },
        404: { description: 'No such payment', schema: problemSchema },
      },
      handler: async ({ params }) => ({ status: 200, body: await load(params.id) }),
    }),
    route({
      method: 'post',
      path: '/api/v1/payments/{id}/capture',
      operationId: 'capturePayment',
      summary: 'Capture an authorized payment (capture "manual")',
      tags: ['Payments'],
      request: { params: z.object({ id: paymentId }), body: capturePaymentBody },
      responses: {
        200: { description: 'CAPTURED', schema: paymentSchema },
        404: { description: 'No such payment', schema: problemSchema },
        409: { description: 'Not AUTHORIZED (already captured, voided, declined…)', schema: problemSchema },
        422: { description: 'More than was authorized', schema: problemSchema },
        502: { description: 'The gateway failed', schema: problemSchema },
      },
      async handler({ params, body }) {
        const payment = await load(params.id);
        try {
          await withinTime(() =>
            temporal.workflow
              .getHandle(payment.workflowId)
              .executeUpdate(capturePaymentUpdate, { args: [body] }),
          );
        } catch (err) {
          const failure = updateFailure(err);
          if (failure?.type === 'CaptureFailed') throw refused(await load(params.id));
          if (failure) throw rejected(failure);
          if (!isWorkflowClosed(err)) throw err;
          throw new Problem(409, `payment is ${payment.status}; only an AUTHORIZED payment can be captured`, {
            type: problemType('payment-state'),
          });
        }
        return { status: 200, body: await load(params.id) };
      },
    }),
    route({
      method: 'post',
      path: '/api/v1/payments/{id}/refund',
      operationId: 'refundPayment',
      summary: 'Refund a captured payment, fully or in part',
      description:
        'Never more than was captured. With an Idempotency-Key, a retried refund is answered, not repeated.',
      tags: ['Payments'],
      request: {
        params: z.object({ id: paymentId }),
        body: refundPaymentBody,
        headers: z.object({ 'idempotency-key': idempotencyKeyHeader }),
      },
      responses: {
        200: { description: 'REFUNDED or PARTIALLY_REFUNDED', schema: paymentSchema },
        404: { description: 'No such payment', schema: problemSchema },
        409: { description: 'Nothing captured, or nothing left to refund', schema: problemSchema },
        422: { description: 'More than is left to refund', schema: problemSchema },
        502: { description: 'The gateway failed the refund', schema: problemSchema },
      },
      async handler({ params, body, headers }) {
        const payment = await load(params.id);
        const refundId = headers['idempotency-key'] ?? randomUUID();
        try {
          await withinTime(() =>
            temporal.workflow.getHandle(payment.workflowId).executeUpdate(refundPaymentUpdate, {
              args: [{ refundId, ...body }],
              updateId: `refund:${refundId}`,
            }),
          );
        } catch (err) {
          const failure = updateFailure(err);
          if (failure?.type === 'RefundFailed') {
            throw new Problem(502, failure.message, {
              type: problemType('refund-failed'),
              title: 'Refund failed',
            });
          }
          if (failure) throw rejected(failure);
          if (!isWorkflowClosed(err)) throw err;
          throw new Problem(409, `payment is ${payment.status}; it takes no more refunds`, {
            type: problemType('payment-state'),
          });
        }
        return { status: 200, body: await load(params.id) };
      },
    }),
  ];
}
