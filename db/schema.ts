import type { ColumnType, Generated } from 'kysely';

/** JSON columns are written as text and read back through `fromJson` (MariaDB and MySQL differ). */
type Json = ColumnType<unknown, string | null, string | null>;
type CreatedAt = ColumnType<Date, never, never>;
type UpdatedAt = ColumnType<Date, never, Date | undefined>;

export interface LeadsTable {
  id: string;
  email: string;
  name: string;
  company: string;
  title: string | null;
  linkedin_url: string | null;
  website: string | null;
  notify_email: string | null;
  status: string;
  workflow_id: string;
  research: Json;
  analysis: Json;
  score: number | null;
  error_type: string | null;
  error_message: string | null;
  /** The bulk import that brought the lead, and its place in that import (migration 008). */
  import_id: ColumnType<string | null, string | null | undefined, string | null>;
  import_seq: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type MailDeliveryStatus = 'SENDING' | 'SENT' | 'REJECTED';

export interface MailDeliveriesTable {
  message_key: string;
  /** SENDING: claimed by an attempt until `claimed_until`; SENT: the server accepted it; REJECTED: 5xx. */
  status: ColumnType<MailDeliveryStatus, MailDeliveryStatus | undefined, MailDeliveryStatus>;
  message_id: string;
  recipient: string;
  subject: string;
  transport: string;
  sent_at: Date | null;
  /** The activity attempt holding the claim. */
  claim_token: string | null;
  claimed_until: Date | null;
  /** How many times an attempt handed the message to the server (more than 1: a resend, same Message-ID). */
  send_attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  created_at: CreatedAt;
}

export interface IdempotencyKeysTable {
  scope: string;
  idem_key: string;
  request_hash: string;
  resource_id: string;
  created_at: CreatedAt;
}

export interface CitiesTable {
  id: Generated<number>;
  slug: string;
  name: string;
  timezone: string;
}

export interface TheatersTable {
  id: Generated<number>;
  city_id: number;
  name: string;
  address: string;
}

export interface ScreensTable {
  id: Generated<number>;
  theater_id: number;
  name: string;
}

export interface SeatsTable {
  id: Generated<number>;
  screen_id: number;
  label: string;
  row_label: string;
  number: number;
}

export interface MoviesTable {
  id: Generated<number>;
  title: string;
  duration_minutes: number;
  rating: string;
}

export interface ShowsTable {
  id: Generated<number>;
  movie_id: number;
  screen_id: number;
  starts_at: Date;
  /** The show's calendar day in its city's time zone, as YYYY-MM-DD. */
  local_date: string;
  price_minor: number;
  currency: string;
}

export interface BookingsTable {
  id: string;
  workflow_id: string;
  show_id: number;
  seat_ids: Json;
  customer_name: string;
  customer_email: string;
  amount_minor: number;
  currency: string;
  status: string;
  hold_expires_at: Date | null;
  payment_id: string | null;
  taken_seat_ids: Json;
  error_type: string | null;
  error_message: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface SeatHoldsTable {
  show_id: number;
  seat_label: string;
  booking_id: string;
  status: 'HELD' | 'BOOKED';
  expires_at: Date | null;
  created_at: CreatedAt;
}

export interface PaymentsTable {
  id: string;
  workflow_id: string;
  reference: string | null;
  amount_minor: number;
  currency: string;
  capture_mode: string;
  status: string;
  captured_minor: number;
  refunded_minor: number;
  authorization_id: string | null;
  refunds: Json;
  error_type: string | null;
  error_message: string | null;
  version: number;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface WorkerHealthTable {
  identity: string;
  task_queue: string;
  live: number;
  reason: string | null;
  pool_in_use: number;
  pool_waiting: number;
  activities_finished: number;
  started_at: Date;
  reported_at: Date;
}

export type GatewayEventStatus = 'received' | 'forwarded' | 'unmatched';

export interface GatewayEventsTable {
  event_id: string;
  type: string;
  authorization_id: string;
  payment_id: string | null;
  /** received: stored, not yet handed to its payment; forwarded: handed over; unmatched: no such payment. */
  status: GatewayEventStatus;
  payload: Json;
  received_at: CreatedAt;
  forwarded_at: Date | null;
}

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  description: string | null;
  events: Json;
  enabled: ColumnType<number, number | undefined, number>;
  disabled_reason: string | null;
  /** The signing secret, sealed with the payload encryption keys (encryption/secrets.ts). */
  secret: string;
  /** During a rotation: the old secret, still signing until `previous_secret_until`. */
  previous_secret: string | null;
  previous_secret_until: Date | null;
  /** Since when every delivery has failed (cleared by a success); long enough disables the endpoint. */
  failing_since: Date | null;
  deleted_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface WebhookEventsTable {
  id: string;
  type: string;
  entity_id: string;
  occurred_at: Date;
  /** `{ id, type, occurredAt, data }`: exactly the bytes every delivery of it sends. */
  payload: Json;
  created_at: CreatedAt;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed' | 'gone' | 'disabled';

export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  event_id: string;
  status: WebhookDeliveryStatus;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface WebhookAttemptsTable {
  id: Generated<number>;
  delivery_id: string;
  attempt: number;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_body: string | null;
  attempted_at: CreatedAt;
}

export interface LeadImportsTable {
  id: string;
  workflow_id: string;
  /** ACCEPTED (rows stored, workflow not yet started), RUNNING, PAUSED, COMPLETED, CANCELLED. */
  status: string;
  mode: string;
  format: string;
  rows_total: number;
  valid: number;
  invalid: number;
  duplicates: number;
  started: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  finished_at: Date | null;
}

export interface LeadImportErrorsTable {
  import_id: string;
  seq: number;
  line: number;
  /** invalid: the row broke the lead schema; duplicate: its email was in the file before, or known. */
  kind: string;
  field: string;
  message: string;
  email: string | null;
}

export interface EntityEventsTable {
  id: Generated<string>;
  entity_type: string;
  entity_id: string;
  status: string;
  data: Json;
  created_at: CreatedAt;
}

export interface Database {
  leads: LeadsTable;
  mail_deliveries: MailDeliveriesTable;
  idempotency_keys: IdempotencyKeysTable;
  cities: CitiesTable;
  theaters: TheatersTable;
  screens: ScreensTable;
  seats: SeatsTable;
  movies: MoviesTable;
  shows: ShowsTable;
  bookings: BookingsTable;
  seat_holds: SeatHoldsTable;
  payments: PaymentsTable;
  worker_health: WorkerHealthTable;
  gateway_events: GatewayEventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  lead_imports: LeadImportsTable;
  lead_import_errors: LeadImportErrorsTable;
  entity_events: EntityEventsTable;
}
