import type { Db } from '../../db';
import { fromJson } from '../../db';
import type { PaymentRefund, PaymentStatus } from '../../workflows/payment/shared';
import type { PaymentView } from './schemas';

export async function findPayment(db: Db, id: string): Promise<PaymentView | undefined> {
  const row = await db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    workflowId: row.workflow_id,
    status: row.status as PaymentStatus,
    amount: row.amount_minor,
    currency: row.currency,
    captureMode: row.capture_mode as PaymentView['captureMode'],
    capturedAmount: row.captured_minor,
    refundedAmount: row.refunded_minor,
    refunds: fromJson<PaymentRefund[]>(row.refunds) ?? [],
    reference: row.reference,
    authorizationId: row.authorization_id,
    awaitingCustomer: row.status === 'PENDING' && row.authorization_id !== null,
    error: row.error_type ? { type: row.error_type, message: row.error_message ?? '' } : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
