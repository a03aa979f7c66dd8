// The mail_deliveries rows behind sendOnce's claim → send → mark protocol. Every function takes one
// pooled connection for one statement (or two) and gives it back: none is held across the SMTP send.
import { type Selectable, sql } from 'kysely';
import type { Db } from '../../db';
import type { MailDeliveriesTable } from '../../db/schema';

export type DeliveryRow = Selectable<MailDeliveriesTable>;

export type Claim =
  | {
      outcome: 'claimed' /** An earlier attempt claimed it and never finished: this may be a resend. */;
      resend: boolean;
    }
  | { outcome: 'sent'; row: DeliveryRow }
  | { outcome: 'busy'; retryInMs: number };

export interface ClaimRequest {
  key: string;
  messageId: string;
  recipient: string;
  subject: string;
  transport: string;
  /** Names the activity attempt (see `attemptToken`). */
  token: string;
  leaseMs: number;
}

/** Lease arithmetic in the database's clock, so workers on hosts whose clocks differ agree. */
const leaseEnd = (ms: number) => sql<Date>`DATE_ADD(NOW(3), INTERVAL ${Math.round(ms * 1000)} MICROSECOND)`;

/** Claims the message for this attempt, or says who has it. */
export async function claimDelivery(db: Db, request: ClaimRequest): Promise<Claim> {
  const inserted = await db
    .insertInto('mail_deliveries')
    .ignore()
    .values({
      message_key: request.key,
      status: 'SENDING',
      message_id: request.messageId,
      recipient: request.recipient,
      subject: request.subject,
      transport: request.transport,
      sent_at: null,
      claim_token: request.token,
      claimed_until: leaseEnd(request.leaseMs),
      send_attempts: 1,
      last_error: null,
    })
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return { outcome: 'claimed', resend: false };

  const row = await db
    .selectFrom('mail_deliveries')
    .selectAll()
    .select(sql<number>`TIMESTAMPDIFF(MICROSECOND, NOW(3), claimed_until)`.as('remaining_us'))
    .where('message_key', '=', request.key)
    .executeTakeFirstOrThrow();
  if (row.status === 'SENT') return { outcome: 'sent', row };
  const remainingMs = Number(row.remaining_us ?? 0) / 1000;
  if (row.status === 'SENDING' && row.claim_token !== request.token && remainingMs > 0) {
    return { outcome: 'busy', retryInMs: remainingMs };
  }
  // The claim lapsed (its attempt died or gave up), or the message was refused before: take it over,
  // unless another attempt got there first (the token no longer matches what was read).
  const taken = await db
    .updateTable('mail_deliveries')
    .set({
      status: 'SENDING',
      recipient: request.recipient,
      subject: request.subject,
      transport: request.transport,
      claim_token: request.token,
      claimed_until: leaseEnd(request.leaseMs),
      send_attempts: sql`send_attempts + 1`,
    })
    .where('message_key', '=', request.key)
    .where('status', '!=', 'SENT')
    .where(sql<boolean>`claim_token <=> ${row.claim_token}`)
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) === 0) return claimDelivery(db, request);
  // A claim that lapsed after a send was attempted may have reached the server already.
  return { outcome: 'claimed', resend: row.status === 'SENDING' && row.send_attempts > 0 };
}

const RECORD_DEADLINE_MS = 60_000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Records that the server accepted the message. Idempotent, and retried with backoff for up to 60 s
 * (a MySQL blip right after the send must not turn into a resend).
 */
export async function markSent(
  db: Db,
  key: string,
  sentAt: Date,
  onRetry: (err: Error, delayMs: number) => void,
): Promise<void> {
  const deadline = Date.now() + RECORD_DEADLINE_MS;
  for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      await db
        .updateTable('mail_deliveries')
        .set({ status: 'SENT', sent_at: sentAt, claim_token: null, claimed_until: null, last_error: null })
        .where('message_key', '=', key)
        .where('status', '!=', 'SENT')
        .execute();
      return;
    } catch (err) {
      if (Date.now() + delay > deadline) throw err;
      onRetry(err as Error, delay);
      await pause(delay);
    }
  }
}

/** The server refused the message for good (5xx): no attempt may have delivered it. */
export async function markRejected(db: Db, key: string, token: string, error: string): Promise<void> {
  await db
    .updateTable('mail_deliveries')
    .set({ status: 'REJECTED', claim_token: null, claimed_until: null, last_error: error.slice(0, 500) })
    .where('message_key', '=', key)
    .where('claim_token', '=', token)
    .execute();
}

/** This attempt failed (retryably): its claim lapses now, so the next attempt need not wait. */
export async function releaseClaim(db: Db, key: string, token: string, error: string): Promise<void> {
  await db
    .updateTable('mail_deliveries')
    .set({ claimed_until: sql`NOW(3)`, last_error: error.slice(0, 500) })
    .where('message_key', '=', key)
    .where('claim_token', '=', token)
    .where('status', '=', 'SENDING')
    .execute();
}

/** What is known of a message: sent (with its record), possibly sent, or certainly not sent. */
export type DeliveryState =
  | { state: 'sent'; row: DeliveryRow }
  | { state: 'unknown'; sendAttempts: number; lastError: string | null }
  | { state: 'not-sent'; lastError: string | null };

export async function deliveryState(db: Db, key: string): Promise<DeliveryState> {
  const row = await db
    .selectFrom('mail_deliveries')
    .selectAll()
    .where('message_key', '=', key)
    .executeTakeFirst();
  if (!row) return { state: 'not-sent', lastError: null };
  if (row.status === 'SENT') return { state: 'sent', row };
  // Refused for good by the server, and no earlier attempt handed it over before: certainly not sent.
  if (row.status === 'REJECTED' && row.send_attempts <= 1)
    return { state: 'not-sent', lastError: row.last_error };
  return { state: 'unknown', sendAttempts: row.send_attempts, lastError: row.last_error };
}
