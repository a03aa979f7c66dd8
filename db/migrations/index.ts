import type { Migration } from 'kysely';
import * as m001 from './001_leads';
import * as m002 from './002_bookings';
import * as m003 from './003_random_lead_ids';
import * as m004 from './004_mail_claims';
import * as m005 from './005_worker_health';
import * as m006 from './006_gateway_events';
import * as m007 from './007_webhooks';
import * as m008 from './008_lead_imports';

// Listed statically so the same set runs from TypeScript sources, compiled JS and tests alike.
export const migrations: Record<string, Migration> = {
  '001_leads': m001,
  '002_bookings': m002,
  '003_random_lead_ids': m003,
  '004_mail_claims': m004,
  '005_worker_health': m005,
  '006_gateway_events': m006,
  '007_webhooks': m007,
  '008_lead_imports': m008,
};
