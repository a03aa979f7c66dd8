import { randomUUID } from 'node:crypto';
import { asyncLocalStorage, type Context } from '@temporalio/activity';
import { sql } from 'kysely';
import { messageIdFor, sendOnce } from '../../activities/mail/send-once';
import { createMailer, type Mailer } from '../../clients/mailer';
import { createDb, type Db } from '../../db';
import { SmtpSink } from '../support/smtp-sink';

// sendOnce logs through the activity context; give it a quiet one (its logger is all it reads).
const quiet = () => undefined;
const activityContext = {
  log: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet },
} as unknown as Context;
const inActivity = <T>(run: () => Promise<T>) => asyncLocalStorage.run(activityContext, run);

describe('sendOnce: one message per key, even when MySQL drops out around the send', () => {
  let smtp: SmtpSink;
  let db: Db;
  beforeAll(async () => {
    smtp = await new SmtpSink().start();
    db = createDb(process.env.TEST_MYSQL_URL ?? '');
  });
  afterAll(async () => {
    await db?.destroy();
    await smtp?.stop();
  });

  it('records a message the server accepted although the MySQL connection died right after, so a retry does not resend', async () => {
    const key = `test-mail:${randomUUID()}`;
    const from = 'Troupe <troupe@troupe.test>';
    const smtpMailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/nonexistent' });
    // The real SMTP send, then MySQL drops the connection that holds the send's lock — what a MySQL
    // cut between "the server took the message" and "we wrote that down" looks like.
    const cutAfterSend: Mailer = {
      ...smtpMailer,
      async send(mail) {
        await smtpMailer.send(mail);
        const lock = `troupe-mail:${key}`.slice(0, 64);
        const holder = await sql<{ id: number }>`SELECT IS_USED_LOCK(${lock}) AS id`.execute(db);
        await sql`KILL ${sql.raw(String(Number(holder.rows[0]?.id)))}`.execute(db);
      },
    };
    const message = { key, to: 'sales@troupe.test', subject: 'Report', text: 'hi', html: '<p>hi</p>' };

    await inActivity(() => sendOnce({ db, mailer: cutAfterSend, from }, message));
    // Temporal's retry of the activity (or any later attempt) finds the record and sends nothing.
    await inActivity(() => sendOnce({ db, mailer: smtpMailer, from }, message));

    const received = smtp.received.filter((m) => m.messageId === messageIdFor(key, from));
    expect(received).toHaveLength(1);
    const rows = await db
      .selectFrom('mail_deliveries')
      .select('message_key')
      .where('message_key', '=', key)
      .execute();
    expect(rows).toHaveLength(1);
  });
});
