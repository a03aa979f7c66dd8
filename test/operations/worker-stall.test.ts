import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { prepareDatabase } from '../support/environment';
import { eventually, http, newLead } from '../support/harness';
import { npmStart, stopChildren } from '../support/npm-start';
import { SmtpSink } from '../support/smtp-sink';
import { standInEnv } from '../support/stand-in-env';

afterAll(stopChildren);

// A worker can be up, polling and heartbeating, and still get nothing done: here its MySQL pool is
// exhausted by statements that wait on a table lock (what a long migration or a stuck transaction
// does). The worker must say so, the API's /readyz must say so, and npm start must restart it.
describe('a worker that stops making progress', () => {
  let smtp: SmtpSink;
  let mysqlUrl: string;
  beforeAll(async () => {
    smtp = await new SmtpSink().start();
    // A database of its own: the table lock below would stall every other test file's reports.
    mysqlUrl = await prepareDatabase(`${process.env.TEST_MYSQL_DATABASE ?? 'troupe_test'}_stall`);
  });
  afterAll(async () => {
    await smtp?.stop();
  });

  it('is reported not live and not ready, restarted by npm start with the reason, and its leads then complete', async () => {
    const started = await npmStart({
      ...standInEnv({ smtp }),
      MYSQL_URL: mysqlUrl,
      MYSQL_POOL_SIZE: '2',
      MYSQL_ACQUIRE_TIMEOUT_MS: '1000',
      WORKER_STALL_SECONDS: '5',
    });
    const text = () => started.output.join('\n');
    const said = () => started.output.filter((line) => line.startsWith('[start]')).join('\n');
    const api = (text().match(/API {5}(http:\/\/\S+)\/api\/v1/) ?? [])[1];
    const health = (text().match(/Health {2}(http:\/\/\S+\/healthz)/) ?? [])[1];
    expect(health).toBeDefined();
    expect((await http(`${api}/readyz`)).status).toBe(200);

    // Six leads reach their report at once; the mail server takes 3 s to answer. While their sends are
    // in flight the delivery table is locked: every "sent" record then waits on the lock holding one of
    // the worker's two connections, and everything else waits for those.
    smtp.answerAfter(3_000);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const created = await http(`${api}/api/v1/leads`, { body: newLead({ name: `Stalled ${i}` }) });
      expect(created.status).toBe(202);
      ids.push(created.body.id);
    }
    await eventually(async () => expect(smtp.received.length).toBeGreaterThanOrEqual(1), 30_000, 100);
    const locker = await createConnection({ uri: mysqlUrl });
    try {
      await locker.query('LOCK TABLES mail_deliveries WRITE');
      smtp.answerAfter(0);

      const stalled = await eventually(
        async () => {
          const answer = await http(health as string);
          expect(answer.status).toBe(503);
          return answer.body;
        },
        30_000,
        500,
      );
      expect(stalled.status).toBe('stalled');
      expect(stalled.reason).toMatch(/MySQL pool is exhausted/);
      await eventually(
        async () => {
          const ready = await http(`${api}/readyz`);
          expect(ready.status).toBe(503);
          expect(ready.body.checks.worker).toMatch(/not making progress|no worker has reported/);
        },
        40_000,
        1_000,
      );
      await eventually(
        async () =>
          expect(said()).toMatch(
            /worker is not making progress \(.*MySQL pool is exhausted.*\); restarting it/,
          ),
        60_000,
        500,
      );

      await locker.query('UNLOCK TABLES');
      for (const id of ids) {
        await eventually(
          async () => expect((await http(`${api}/api/v1/leads/${id}`)).body.status).toBe('COMPLETED'),
          90_000,
          1_000,
        );
      }
      // Every lead's report arrived. The worker was killed with sends accepted by the server but not yet
      // recorded (the record waited on the lock): those are sent again, with the same Message-ID, and
      // only those — each copy is an attempt the delivery record counts.
      const reports = smtp.received.filter((m) => m.subject?.includes('Stalled '));
      expect(new Set(reports.map((m) => m.messageId)).size).toBe(ids.length);
      const rows = await locker.query<RowDataPacket[]>(
        'SELECT message_id, send_attempts, status FROM mail_deliveries WHERE message_key IN (?)',
        [ids.map((id) => `lead-report:${id}`)],
      );
      for (const row of rows[0]) {
        expect(row.status).toBe('SENT');
        expect(reports.filter((m) => m.messageId === row.message_id).length).toBeLessThanOrEqual(
          row.send_attempts,
        );
      }
      await eventually(async () => expect((await http(`${api}/readyz`)).status).toBe(200), 30_000, 1_000);
    } finally {
      await locker.end();
    }
  }, 240_000);
});
