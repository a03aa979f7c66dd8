import type { Migration } from 'kysely';
import * as m001 from './001_leads';
import * as m002 from './002_bookings';
import * as m003 from './003_random_lead_ids';

// Listed statically so the same set runs from TypeScript sources, compiled JS and tests alike.
export const migrations: Record<string, Migration> = {
  '001_leads': m001,
  '002_bookings': m002,
  '003_random_lead_ids': m003,
};
