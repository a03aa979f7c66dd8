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
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface MailDeliveriesTable {
  message_key: string;
  message_id: string;
  recipient: string;
  subject: string;
  transport: string;
  sent_at: Date;
}

export interface IdempotencyKeysTable {
  scope: string;
  idem_key: string;
  request_hash: string;
  resource_id: string;
  created_at: CreatedAt;
}

export interface Database {
  leads: LeadsTable;
  mail_deliveries: MailDeliveriesTable;
  idempotency_keys: IdempotencyKeysTable;
}

export type { Generated };
