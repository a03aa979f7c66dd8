import { randomUUID } from 'node:crypto';
import { asyncLocalStorage, type Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'kysely';
import { messageIdFor, sendOnce } from '../../activities/mail/send-once';
import { createMailer, type Mailer } from '../../clients/mailer';
import { createDb, type Db } from '../../db';
import { SmtpSink } from '../support/smtp-sink';

// sendOnce runs inside an activity: give it a quiet context (log, heartbeat, a cancellation signal and
// an attempt to name its claims by).
const quiet = () => undefined;
let attempt = 0;
const inActivity = <T>(run: () => Promise<T>) => {
  const context = {
    log: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet },
    heartbeat: quiet,
    cancellationSignal: new AbortController().signal,
    info: { workflowExecution: { workflowId: 'test' }, activityId: '1', attempt: ++attempt },
  } as unknown as Context;
  return asyncLocalStorage.run(context, run);
};

const FROM = 'Troupe <troupe@troupe.test>';
const message = (key: string) => ({
  key,
  to: 'sales@troupe.test',
  subject: 'Report',
  text: 'hi',
  html: '<p>hi</p>',
});

describe('sendOnce: one message per key, without holding a connection across the send', () => {
  let smtp: SmtpSink;
  let db: Db;
  const pools: Db[] = [];
  const pool = (connectionLimit: number) => {
    const made = createDb(process.env.TEST_MYSQL_URL ?? '', { connectionLimit, acquireTimeoutMs: 5_000 });
    pools.push(made);
    return made;
  };
  const received = (key: string) => smtp.received.filter((m) => m.messageId === messageIdFor(key, FROM));
  beforeAll(async () => {
    smtp = await new SmtpSink().start();
    db = pool(5);
  });
  afterEach(() => smtp.answerAfter(0));
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.destroy()));
    await smtp?.stop();
  });

  it('records a message the server accepted although MySQL dropped the connection right after', async () => {
    const key = `test-mail:${randomUUID()}`;
    const single = pool(1);
    const smtpMailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/nonexistent' });
    // The real SMTP send, then MySQL drops the pool's only connection: what a MySQL blip between "the
    // server took the message" and "we wrote that down" looks like.
    const cutAfterSend: Mailer = {
      ...smtpMailer,
      async send(mail, signal) {
        await smtpMailer.send(mail, signal);
        const { rows } = await sql<{ id: number }>`SELECT CONNECTION_ID() AS id`.execute(single);
        await sql`KILL ${sql.raw(String(Number(rows[0]?.id)))}`.execute(db);
      },
    };

    await inActivity(() => sendOnce({ db: single, mailer: cutAfterSend, from: FROM }, message(key)));
    // Temporal's retry of the activity (or any later attempt) finds the record and sends nothing.
    await inActivity(() => sendOnce({ db: single, mailer: smtpMailer, from: FROM }, message(key)));

    expect(received(key)).toHaveLength(1);
    const row = await db
      .selectFrom('mail_deliveries')
      .select(['status', 'send_attempts'])
      .where('message_key', '=', key)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'SENT', send_attempts: 1 });
  });

  // Before the claim protocol, every send held a pooled connection (under GET_LOCK) across SMTP and
  // then asked the same pool for another one: as many slow sends as connections deadlocked the pool.
  it.each([2, 10])(
    'sends 50 messages at once through a pool of %i with a slow server, each once',
    async (size) => {
      smtp.answerAfter(300);
      const small = pool(size);
      const mailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/nonexistent' });
      const keys = Array.from({ length: 50 }, () => `test-burst:${randomUUID()}`);
      // Status writes compete for the same pool meanwhile, as a workflow's local activities do.
      const writes = Array.from({ length: 50 }, () => sql`SELECT SLEEP(0.01)`.execute(small));
      const deliveries = await Promise.all(
        keys.map((key) => inActivity(() => sendOnce({ db: small, mailer, from: FROM }, message(key)))),
      );
      await Promise.all(writes);
      expect(deliveries.map((d) => d.messageId)).toEqual(keys.map((key) => messageIdFor(key, FROM)));
      for (const key of keys) expect(received(key)).toHaveLength(1);
    },
    60_000,
  );

  it('lets a second attempt for the same message wait while the first one sends, then answers from the record', async () => {
    smtp.answerAfter(1_000);
    const key = `test-race:${randomUUID()}`;
    const mailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/nonexistent' });
    const first = inActivity(() => sendOnce({ db, mailer, from: FROM }, message(key)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await inActivity(() => sendOnce({ db, mailer, from: FROM }, message(key))).catch(
      (err: unknown) => err,
    );
    expect(second).toBeInstanceOf(ApplicationFailure);
    expect((second as ApplicationFailure).type).toBe('MailBusy');
    expect((second as ApplicationFailure).nextRetryDelay).toBeDefined();
    await first;
    const retried = await inActivity(() => sendOnce({ db, mailer, from: FROM }, message(key)));
    expect(retried.messageId).toBe(messageIdFor(key, FROM));
    expect(received(key)).toHaveLength(1);
  });

  it('takes over a claim whose attempt died, resending with the same Message-ID and counting it', async () => {
    const key = `test-takeover:${randomUUID()}`;
    // An attempt claimed the message and died before it recorded the send; its lease has run out.
    await db
      .insertInto('mail_deliveries')
      .values({
        message_key: key,
        status: 'SENDING',
        message_id: messageIdFor(key, FROM),
        recipient: 'sales@troupe.test',
        subject: 'Report',
        transport: 'smtp',
        sent_at: null,
        claim_token: 'dead-worker/1#1',
        claimed_until: new Date(Date.now() - 1_000),
        send_attempts: 1,
        last_error: null,
      })
      .execute();
    const mailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/nonexistent' });
    await inActivity(() => sendOnce({ db, mailer, from: FROM }, message(key)));
    expect(received(key).map((m) => m.messageId)).toEqual([messageIdFor(key, FROM)]);
    const row = await db
      .selectFrom('mail_deliveries')
      .select(['status', 'send_attempts', 'claim_token'])
      .where('message_key', '=', key)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'SENT', send_attempts: 2, claim_token: null });
  });

  it('aborts a send that outlives SMTP_SEND_TIMEOUT_MS and lets its claim go for the retry', async () => {
    smtp.answerAfter(3_000);
    const key = `test-deadline:${randomUUID()}`;
    const mailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/nonexistent' });
    const started = Date.now();
    const failed = await inActivity(() =>
      sendOnce({ db, mailer, from: FROM, sendTimeoutMs: 1_000 }, message(key)),
    ).catch((err: unknown) => err);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect((failed as ApplicationFailure).type).toBe('MailUnavailable');
    const row = await db
      .selectFrom('mail_deliveries')
      .select(['status', sql<number>`claimed_until <= NOW(3)`.as('lapsed')])
      .where('message_key', '=', key)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'SENDING', lapsed: 1 });
  });
});
