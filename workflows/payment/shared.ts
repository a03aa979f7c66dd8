// What the API, the booking workflow and the payment workflow share about a payment.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export const PAYMENT_STATUSES = [
  'PENDING',
  'AUTHORIZED',
  'CAPTURED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
  'DECLINED',
  'FAILED',
  'VOIDED',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const PaymentStatusAttribute = defineSearchAttributeKey('PaymentStatus', SearchAttributeType.KEYWORD);

export interface PaymentInput {
  paymentId: string;
  /** Minor units (cents). */
  amount: number;
  currency: string;
  paymentMethod: string;
  reference?: string;
  capture: 'automatic' | 'manual';
  /** A workflow (the booking) that is signalled with every change of this payment. */
  notifyWorkflowId?: string;
}

export interface RefundRequest {
  /** Makes the request idempotent: a refund id is processed once. */
  refundId: string;
  /** Minor units; the whole remaining captured amount when absent. */
  amount?: number;
}

export interface PaymentRefund {
  id: string;
  amount: number;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED';
  error?: string;
}

export interface PaymentState {
  id: string;
  status: PaymentStatus;
  amount: number;
  currency: string;
  captureMode: PaymentInput['capture'];
  reference?: string;
  capturedAmount: number;
  refundedAmount: number;
  refunds: PaymentRefund[];
  authorizationId?: string;
  /** PENDING, waiting for the customer to approve an asynchronous payment (UPI, a bank redirect). */
  awaitingCustomer?: boolean;
  /** When the gateway lets the customer's approval lapse. */
  actionExpiresAt?: string;
  error?: { type: string; message: string };
  /** Increases with every change, so listeners can ignore stale copies. */
  version: number;
}

/** The gateway's view of an authorization: what its events carry, and what a read of it answers. */
export interface AuthorizationView {
  id: string;
  status: string;
  amount: number;
  captured: number;
  refunded: number;
  version: number;
  declineCode?: string;
}

/**
 * An event the gateway sent by webhook (verified and stored by the API, then signalled here). The
 * authorization is the gateway's view after the change; its `version` orders views of it.
 */
export interface GatewayEvent {
  id: string;
  type: string;
  authorization: AuthorizationView;
  /** Refund events: which refund (by the idempotency key Troupe sent) and how it ended. */
  refund?: { amount: number; status: 'succeeded' | 'failed'; idempotencyKey: string };
}

export const paymentStateQuery = defineQuery<PaymentState>('paymentState');
/** Answers once the payment is authorized (and captured, when automatic), declined or failed. */
export const submitPaymentUpdate = defineUpdate<PaymentState>('submit');
export const capturePaymentUpdate = defineUpdate<PaymentState, [{ amount?: number }]>('capture');
export const refundPaymentUpdate = defineUpdate<PaymentState, [RefundRequest]>('refund');
/** A parent workflow asks for a refund (workflows cannot send updates). */
export const refundRequestedSignal = defineSignal<[RefundRequest]>('refundRequested');
/** Sent by the payment to `notifyWorkflowId` after every change. */
export const paymentChangedSignal = defineSignal<[PaymentState]>('paymentChanged');
/** A gateway webhook for this payment (the API forwards each verified event once). */
export const gatewayEventSignal = defineSignal<[GatewayEvent]>('gatewayEvent');
/** The booking gives up on a payment the customer has not approved (its hold expired, or it was cancelled). */
export const voidRequestedSignal = defineSignal<[{ reason: string }]>('voidRequested');

/**
 * The patch under which a payment follows the gateway's webhooks: asynchronous methods wait for the
 * customer on a durable timer, and a capture or refund whose answer was lost is settled by its event.
 */
export const PAYMENT_GATEWAY_EVENTS = 'payment-gateway-events';

export const paymentWorkflowId = (paymentId: string): string => `payment-${paymentId}`;

/**
 * The idempotency key of each gateway call, fixed by the payment: `<id>:authorize`, `<id>:capture`,
 * `<id>:refund:<refundId>`. A retried or replayed call presents the same key, and the gateway's
 * webhooks name refunds by it.
 */
export const idempotencyKey = (paymentId: string, operation: string) => `${paymentId}:${operation}`;

export const FINAL_AUTHORIZATION_STATUSES: PaymentStatus[] = ['DECLINED', 'FAILED', 'VOIDED'];
