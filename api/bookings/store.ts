import type { Db } from '../../db';
import { fromJson } from '../../db';
import type { BookingStatus } from '../../workflows/booking/shared';
import type { PaymentStatus } from '../../workflows/payment/shared';
import type { BookingView } from './schemas';

export async function findBooking(db: Db, id: string): Promise<BookingView | undefined> {
  const row = await db.selectFrom('bookings').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  // The confirmed payment, else the latest attempt (a declined card shows up here).
  const payment = await db
    .selectFrom('payments')
    .select(['id', 'status', 'amount_minor', 'captured_minor', 'refunded_minor'])
    .where((eb) => (row.payment_id ? eb('id', '=', row.payment_id) : eb('reference', '=', id)))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return {
    id: row.id,
    workflowId: row.workflow_id,
    status: row.status as BookingStatus,
    showId: row.show_id,
    seatIds: fromJson<string[]>(row.seat_ids) ?? [],
    customer: { name: row.customer_name, email: row.customer_email },
    amount: row.amount_minor,
    currency: row.currency,
    holdExpiresAt:
      (row.status === 'RESERVED' || row.status === 'PENDING_PAYMENT') && row.hold_expires_at
        ? row.hold_expires_at.toISOString()
        : null,
    payment: payment
      ? {
          id: payment.id,
          status: payment.status as PaymentStatus,
          amount: payment.captured_minor || payment.amount_minor,
          refundedAmount: payment.refunded_minor,
        }
      : null,
    error: row.error_type ? { type: row.error_type, message: row.error_message ?? '' } : null,
    takenSeatIds: fromJson<string[]>(row.taken_seat_ids),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
