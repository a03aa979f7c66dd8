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
  error?: { type: string; message: string };
  /** Increases with every change, so listeners can ignore stale copies. */
  version: number;
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

export const paymentWorkflowId = (paymentId: string): string => `payment-${paymentId}`;

export const FINAL_AUTHORIZATION_STATUSES: PaymentStatus[] = ['DECLINED', 'FAILED', 'VOIDED'];
