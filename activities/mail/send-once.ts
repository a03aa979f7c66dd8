import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Mailer } from '../../clients/mailer';
import type { Db } from '../../db';
import { attemptToken, withHeartbeat } from '../failures';
import { claimDelivery, type DeliveryRow, markRejected, markSent, releaseClaim } from './deliveries';

export interface MailDeps {
  db: Db;
  mailer: Mailer;
  from: string;
  /** The whole of one SMTP send, connect to "250 OK" (SMTP_SEND_TIMEOUT_MS); past it the send is aborted. */
  sendTimeoutMs?: number;
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

const DEFAULT_SEND_TIMEOUT_MS = 20_000;
/** A claim outlives the send it covers by this much, so an attempt that is still sending keeps it. */
const LEASE_MARGIN_MS = 10_000;

/** `<lead-report.abc@example.com>`: the same key always yields the same Message-ID. */
export function messageIdFor(key: string, from: string): string {
  const domain = /@([^\s>]+)>?\s*$/.exec(from)?.[1] ?? 'troupe.localhost';
  return `<${key.replace(/[^A-Za-z0-9._-]/g, '.')}@${domain}>`;
}

const delivered = (row: DeliveryRow): Delivery => ({
  messageId: row.message_id,
  sentTo: row.recipient,
  sentAt: (row.sent_at ?? new Date()).toISOString(),
  transport: row.transport as Delivery['transport'],
});

/**
 * Sends a message once per key, without holding a database connection or lock across the network:
 *
 * 1. **Claim**: a committed row `SENDING`, owned by this activity attempt until a lease runs out
 *    (the send deadline plus a margin). A row already `SENT` is answered from the record; a live claim
 *    of another attempt makes this one retry after the lease; an expired claim is taken over.
 * 2. **Send** over SMTP, aborted at `sendTimeoutMs` or when the activity is cancelled (a heartbeat
 *    timeout, a worker shutdown).
 * 3. **Mark** the row `SENT`: idempotent, through a fresh pooled connection, retried for up to 60 s.
 *
 * Each step takes a pooled connection and gives it back, so no attempt ever waits for a second
 * connection while it holds one. What remains is at-least-once with the same Message-ID (which mail
 * systems treat as one message): the server accepted the message but the attempt died (or its answer
 * was lost, or MySQL stayed away past the lease) before step 3. `send_attempts` counts such resends.
 */
export async function sendOnce(deps: MailDeps, message: OnceMessage): Promise<Delivery> {
  const messageId = messageIdFor(message.key, deps.from);
  const sendTimeoutMs = deps.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const token = attemptToken();
  return withHeartbeat(async (cancelled) => {
    const claim = await claimDelivery(deps.db, {
      key: message.key,
      messageId,
      recipient: message.to,
      subject: message.subject.slice(0, 500),
      transport: deps.mailer.transport,
      token,
      leaseMs: sendTimeoutMs + LEASE_MARGIN_MS,
    });
    if (claim.outcome === 'sent') {
      log.info('Message already delivered; not sending again', { key: message.key, messageId });
      return delivered(claim.row);
    }
    if (claim.outcome === 'busy') {
      throw ApplicationFailure.create({
        type: 'MailBusy',
        message: `another attempt is sending ${message.key}; trying again when its claim lapses`,
        nextRetryDelay: Math.max(1_000, claim.retryInMs),
      });
    }
    if (claim.resend) {
      log.warn('An earlier attempt claimed this message and did not finish; sending it (same Message-ID)', {
        key: message.key,
        messageId,
      });
    }

    try {
      await deps.mailer.send(
        { ...message, messageId, from: deps.from },
        AbortSignal.any([cancelled, AbortSignal.timeout(sendTimeoutMs)]),
      );
    } catch (err) {
      const failure = smtpFailure(err, sendTimeoutMs);
      // Best effort: a permanent refusal is recorded; otherwise the claim is let go so a retry need not
      // wait out the lease. Either way the failure, not a bookkeeping error, is what the attempt reports.
      await (failure instanceof ApplicationFailure && failure.nonRetryable
        ? markRejected(deps.db, message.key, token, failure.message)
        : releaseClaim(deps.db, message.key, token, failure.message)
      ).catch(() => undefined);
      throw failure;
    }

    const sentAt = new Date();
    // The server has the message: failing here would make a retry send it again, so the mark is retried.
    await markSent(deps.db, message.key, sentAt, (err, delayMs) =>
      log.warn('Message sent but not yet recorded; retrying the record', {
        key: message.key,
        delayMs,
        err: err.message,
      }),
    );
    if (deps.mailer.transport === 'outbox') {
      log.warn('Offline mail: message written to the outbox, not sent (SMTP_URL is not set)', {
        key: message.key,
        messageId,
      });
    }
    return { messageId, sentTo: message.to, sentAt: sentAt.toISOString(), transport: deps.mailer.transport };
  });
}

/**
 * SMTP 5xx replies and bad credentials are permanent; 4xx replies, connection trouble and a send that
 * ran past its deadline are retried.
 */
export function smtpFailure(err: unknown, sendTimeoutMs?: number): Error {
  const e = err as { message?: string; code?: string; responseCode?: number; name?: string };
  if (e.code === 'EAUTH' || e.responseCode === 535) {
    return ApplicationFailure.nonRetryable('SMTP server rejected the credentials', 'InvalidCredentials');
  }
  if (e.responseCode && e.responseCode >= 500)
    return ApplicationFailure.nonRetryable(`SMTP: ${e.message ?? String(err)}`, 'MailRejected');
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.code === 'EABORT') {
    return ApplicationFailure.retryable(
      `SMTP: the send was aborted (deadline ${sendTimeoutMs ?? '?'} ms, or the attempt was cancelled)`,
      'MailUnavailable',
    );
  }
  return ApplicationFailure.retryable(`SMTP: ${e.message ?? String(err)}`, 'MailUnavailable');
}
