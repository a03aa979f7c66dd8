// An event's `data` is the entity exactly as the API's GET shows it: the API's own read models build it
// (the one place activities read from api/, allowed by .dependency-cruiser.cjs for this file only).
import { findBooking } from '../../api/bookings/store';
import { findLead } from '../../api/leads/store';
import { findPayment } from '../../api/payments/store';
import type { Db } from '../../db';
import type { WebhookEntity } from '../../workflows/webhooks/shared';

export async function entityView(db: Db, entity: WebhookEntity, id: string): Promise<unknown> {
  const view =
    entity === 'lead'
      ? await findLead(db, id)
      : entity === 'booking'
        ? await findBooking(db, id)
        : await findPayment(db, id);
  if (!view) throw new Error(`${entity} ${id} is not stored; the event waits for it`);
  return view;
}
