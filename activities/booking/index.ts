import type { Db } from '../../db';
import type { MailDeps } from '../mail/send-once';
import { createBookingEmailActivities } from './email';
import { createSeatActivities } from './seats';

export function createBookingActivities(deps: { db: Db; mail: MailDeps }) {
  return {
    ...createSeatActivities(deps.db),
    ...createBookingEmailActivities({ ...deps.mail, db: deps.db }),
  };
}

export type BookingActivities = ReturnType<typeof createBookingActivities>;
