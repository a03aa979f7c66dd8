import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { authorizationView, type PaymentGateway } from '../../clients/payment-gateway';
import type { Db } from '../../db';
import { toJson } from '../../db';
import {
  type AuthorizationView,
  idempotencyKey,
  type PaymentState,
  paymentWorkflowId,
} from '../../workflows/payment/shared';
import { toFailure, withHeartbeat } from '../failures';

export interface AuthorizePaymentInput {
  paymentId: string;
  amount: number;
  currency: string;
  paymentMethod: string;
  reference?: string;
}

export type AuthorizePaymentResult =
  | { outcome: 'authorized'; authorizationId: string }
  /** Asynchronous: the customer approves in their app until `expiresAt`; the gateway's webhook says how it went. */
  | { outcome: 'pending'; authorizationId: string; expiresAt?: string }
  | { outcome: 'declined'; authorizationId: string; code: string; message: string };

const SERVICE = 'Payment gateway';

export function createPaymentActivities(deps: { db: Db; gateway: PaymentGateway }) {
  const call = <T>(work: (signal: AbortSignal) => Promise<T>) =>
    withHeartbeat(work).catch((err) => {
      throw toFailure(SERVICE, err);
    });

  return {
    async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentResult> {
      const result = await call((signal) =>
        deps.gateway.authorize(
          { ...input, metadata: { troupe_payment_id: input.paymentId } },
          idempotencyKey(input.paymentId, 'authorize'),
          signal,
        ),
      );
      if (result.outcome === 'pending') {
        return {
          outcome: 'pending',
          authorizationId: result.authorization.id,
          ...(result.authorization.expires_at && { expiresAt: result.authorization.expires_at }),
        };
      }
      if (result.outcome === 'declined') {
        log.info('Payment declined', { paymentId: input.paymentId, code: result.code });
        return {
          outcome: 'declined',
          authorizationId: result.authorization.id,
          code: result.code,
          message: result.message,
        };
      }
      return { outcome: 'authorized', authorizationId: result.authorization.id };
    },

    async capturePayment(input: {
      paymentId: string;
      authorizationId: string;
      amount?: number;
    }): Promise<{ captured: number }> {
      const auth = await call((signal) =>
        deps.gateway.capture(
          input.authorizationId,
          input.amount,
          idempotencyKey(input.paymentId, 'capture'),
          signal,
        ),
      );
      return { captured: auth.captured };
    },

    /** Reads the authorization from the gateway: how a payment settles when its webhook is late or lost. */
    async getAuthorization(input: { authorizationId: string }): Promise<AuthorizationView> {
      return authorizationView(await call((signal) => deps.gateway.get(input.authorizationId, signal)));
    },

    async voidPayment(input: { paymentId: string; authorizationId: string }): Promise<void> {
      await call((signal) =>
        deps.gateway.void(input.authorizationId, idempotencyKey(input.paymentId, 'void'), signal),
      );
    },

    async refundPayment(input: {
      paymentId: string;
      authorizationId: string;
      refundId: string;
      amount: number;
    }): Promise<{ refunded: number }> {
      if (input.amount <= 0) throw ApplicationFailure.nonRetryable('Nothing left to refund', 'InvalidRefund');
      const refund = await call((signal) =>
        deps.gateway.refund(
          input.authorizationId,
          input.amount,
          idempotencyKey(input.paymentId, `refund:${input.refundId}`),
          signal,
        ),
      );
      return { refunded: refund.amount };
    },

    /** Keeps MySQL's copy of the payment (what GET /payments/:id serves) in step with the workflow. */
    async recordPayment(state: PaymentState): Promise<void> {
      const row = {
        reference: state.reference ?? null,
        amount_minor: state.amount,
        currency: state.currency,
        capture_mode: state.captureMode,
        status: state.status,
        captured_minor: state.capturedAmount,
        refunded_minor: state.refundedAmount,
        authorization_id: state.authorizationId ?? null,
        refunds: toJson(state.refunds),
        error_type: state.error?.type ?? null,
        error_message: state.error?.message ?? null,
        version: state.version,
      };
      await deps.db
        .insertInto('payments')
        .values({ id: state.id, workflow_id: paymentWorkflowId(state.id), ...row })
        .onDuplicateKeyUpdate({ ...row, updated_at: new Date() })
        .execute();
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
