import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type Insertable, sql } from 'kysely';
import type { Mailer } from '../../clients/mailer';
import type { Db } from '../../db';
import type { MailDeliveriesTable } from '../../db/schema';

export interface MailDeps {
  db: Db;
  mailer: Mailer;
  from: string;
}

export interface OnceMessage {
  /** What makes this message unique, e.g. `lead-report:<leadId>`; one delivery per key, ever. */
  key: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Delivery {
  messageId: string;
  sentTo: string;
  sentAt: string;
  transport: 'smtp' | 'outbox';
}

/** `<lead-report.abc@example.com>`: the same key always yields the same Message-ID. */
export function messageIdFor(key: string, from: string): string {
  const domain = /@([^\s>]+)>?\s*$/.exec(from)?.[1] ?? 'troupe.localhost';
  return `<${key.replace(/[^A-Za-z0-9._-]/g, '.')}@${domain}>`;
}

/**
 * Sends a message at most once per key: the delivery record is checked before sending and written
 * right after. A named lock keeps two concurrent attempts (a retry racing a slow first attempt) from
 * both sending. The one window left open is the process dying between the server accepting the
 * message and the record being written; the retry then resends with the same Message-ID, which
 * receiving mail systems treat as a duplicate.
 */
export async function sendOnce(deps: MailDeps, message: OnceMessage): Promise<Delivery> {
  const messageId = messageIdFor(message.key, deps.from);
  return deps.db.connection().execute(async (db) => {
    const lockName = `troupe-mail:${message.key}`.slice(0, 64);
    const locked = await sql<{ ok: number | null }>`SELECT GET_LOCK(${lockName}, 30) AS ok`.execute(db);
    if (locked.rows[0]?.ok !== 1) {
      throw ApplicationFailure.retryable(`another attempt is sending ${message.key}`, 'MailBusy');
    }
    try {
      const existing = await db
        .selectFrom('mail_deliveries')
        .selectAll()
        .where('message_key', '=', message.key)
        .executeTakeFirst();
      if (existing) {
        log.info('Message already delivered; not sending again', { key: message.key, messageId });
        return {
          messageId: existing.message_id,
          sentTo: existing.recipient,
          sentAt: existing.sent_at.toISOString(),
          transport: existing.transport as Delivery['transport'],
        };
      }
      try {
        await deps.mailer.send({ ...message, messageId, from: deps.from });
      } catch (err) {
        throw smtpFailure(err);
      }
      const sentAt = new Date();
      // The server has the message now: failing here would make the retry send it again. So the
      // record is written through the pool (a fresh connection if this one died with a MySQL blip),
      // idempotently, retried for up to RECORD_DEADLINE_MS.
      await recordDelivery(deps.db, {
        message_key: message.key,
        message_id: messageId,
        recipient: message.to,
        subject: message.subject.slice(0, 500),
        transport: deps.mailer.transport,
        sent_at: sentAt,
      });
      if (deps.mailer.transport === 'outbox') {
        log.warn('Offline mail: message written to the outbox, not sent (SMTP_URL is not set)', {
          key: message.key,
          messageId,
        });
      }
      return {
        messageId,
        sentTo: message.to,
        sentAt: sentAt.toISOString(),
        transport: deps.mailer.transport,
      };
    } finally {
      // A connection that died has released its lock already; that must not fail a recorded send.
      await sql`SELECT RELEASE_LOCK(${lockName})`.execute(db).catch(() => undefined);
    }
  });
}

const RECORD_DEADLINE_MS = 60_000;

async function recordDelivery(db: Db, row: Insertable<MailDeliveriesTable>): Promise<void> {
  const deadline = Date.now() + RECORD_DEADLINE_MS;
  for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      await db.insertInto('mail_deliveries').ignore().values(row).execute();
      return;
    } catch (err) {
      if (Date.now() + delay > deadline) throw err;
      log.warn('Message sent but not yet recorded; retrying the record', {
        key: row.message_key,
        err: (err as Error).message,
      });
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** SMTP 5xx replies and bad credentials are permanent; 4xx replies and connection trouble are retried. */
export function smtpFailure(err: unknown): Error {
  const e = err as { message?: string; code?: string; responseCode?: number };
  const message = `SMTP: ${e.message ?? String(err)}`;
  if (e.code === 'EAUTH' || e.responseCode === 535) {
    return ApplicationFailure.nonRetryable('SMTP server rejected the credentials', 'InvalidCredentials');
  }
  if (e.responseCode && e.responseCode >= 500)
    return ApplicationFailure.nonRetryable(message, 'MailRejected');
  return ApplicationFailure.retryable(message, 'MailUnavailable');
}
