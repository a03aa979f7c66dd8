import { relayPendingHolds } from '../../worker/hold-relay';
import { SandboxGateway } from '../support/gateway';
import { eventually, http, silentLogger, startTroupe, type Troupe } from '../support/harness';
import { createShow } from '../support/inventory';
import { SmtpSink } from '../support/smtp-sink';
import { standInEnv } from '../support/stand-in-env';

const customer = (i: number) => ({ name: `Burst ${i}`, email: `burst-${i}@troupe.test` });

// Exactly-once under load, not only under faults: more confirmations at once than the worker's pool
// has connections, with a mail server that takes its time.
describe('booking confirmations in a burst', () => {
  let gateway: SandboxGateway;
  let smtp: SmtpSink;
  let troupe: Troupe;

  beforeAll(async () => {
    [gateway, smtp] = await Promise.all([new SandboxGateway().start(), new SmtpSink().start()]);
    smtp.answerAfter(300);
    // This is about exactly-once, not latency: a loaded CI machine may take long, so allow it.
    troupe = await startTroupe({
      env: { ...standInEnv({ gateway, smtp }), MYSQL_POOL_SIZE: '4', WORKFLOW_ANSWER_TIMEOUT_MS: '120000' },
    });
  });
  afterAll(async () => {
    await troupe?.stop();
    await Promise.all([gateway?.stop(), smtp?.stop()]);
  });

  it('30 bookings confirmed at once on a pool of 4: each captured once, each confirmation email sent once', async () => {
    const showId = await createShow(troupe.db);
    const created = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        http(`${troupe.url}/api/v1/bookings`, {
          body: { showId, seatIds: [`${'ABC'[i % 3]}${1 + Math.floor(i / 3)}`], customer: customer(i) },
        }),
      ),
    );
    expect(created.map((r) => r.status)).toEqual(Array(30).fill(201));
    const confirmed = await Promise.all(
      created.map((r) =>
        http(`${troupe.url}/api/v1/bookings/${r.body.id}/confirm`, {
          body: { paymentMethod: 'pm_card_visa' },
        }),
      ),
    );
    expect(confirmed.map((r) => r.status)).toEqual(Array(30).fill(200));
    expect(confirmed.every((r) => r.body.status === 'CONFIRMED')).toBe(true);

    for (const r of created) {
      expect((await gateway.ledger(r.body.id)).filter((e) => e.kind === 'capture')).toHaveLength(1);
    }
    await eventually(async () => {
      const mails = smtp.received.filter((m) => m.subject?.startsWith('Booking confirmed'));
      const mine = created.map((r) => mails.filter((m) => m.text.includes(r.body.id)).length);
      expect(mine).toEqual(Array(30).fill(1));
    }, 60_000);
  }, 120_000);
});

describe('the API never waits on a workflow without a deadline', () => {
  let gateway: SandboxGateway;
  let troupe: Troupe;

  beforeAll(async () => {
    gateway = await new SandboxGateway().start();
    troupe = await startTroupe({
      env: { ...standInEnv({ gateway }), WORKFLOW_ANSWER_TIMEOUT_MS: '2000' },
    });
  });
  afterAll(async () => {
    await troupe?.stop();
    await gateway?.stop();
  });

  it('answers 504 when no worker takes the booking, keeps the hold, and the relay finishes it later', async () => {
    const showId = await createShow(troupe.db);
    const reserved = await http(`${troupe.url}/api/v1/bookings`, {
      body: { showId, seatIds: ['D1'], customer: customer(100) },
    });
    expect(reserved.status).toBe(201);

    await troupe.stopWorker();
    const started = Date.now();
    const confirm = await http(`${troupe.url}/api/v1/bookings/${reserved.body.id}/confirm`, {
      body: { paymentMethod: 'pm_card_visa' },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(confirm.status).toBe(504);
    expect(confirm.body.type).toMatch(/workflow-timeout$/);
    expect(confirm.headers.get('retry-after')).toBe('5');

    // A new booking: the hold is decided in MySQL, but nothing starts its workflow in time.
    const late = await http(`${troupe.url}/api/v1/bookings`, {
      headers: { 'idempotency-key': `late-${showId}` },
      body: { showId, seatIds: ['D2'], customer: customer(101) },
    });
    expect(late.status).toBe(504);
    expect(late.body.detail).toMatch(/^Booking bk_[0-9a-f]{24} did not answer/);
    const pending = await troupe.db
      .selectFrom('bookings')
      .select(['id', 'status'])
      .where('show_id', '=', showId)
      .where('status', '=', 'PENDING')
      .execute();
    expect(pending).toHaveLength(1);

    // The outbox relay (which runs in every worker process) picks the hold up once a worker is back:
    // the workflow that was asked to start is the one it attaches to, and the booking is RESERVED.
    const worker = await startTroupe({ env: troupe.env });
    try {
      const relayed = await relayPendingHolds(
        {
          db: troupe.db,
          temporal: troupe.client,
          taskQueue: troupe.config.temporal.taskQueue,
          holdSeconds: troupe.config.bookings.holdSeconds,
          logger: silentLogger,
        },
        0,
      );
      // (Other test files' pending holds may be relayed too: the database is shared.)
      expect(relayed.started).toContain(pending[0]?.id);
      const retried = await http(`${troupe.url}/api/v1/bookings`, {
        headers: { 'idempotency-key': `late-${showId}` },
        body: { showId, seatIds: ['D2'], customer: customer(101) },
      });
      expect(retried.status).toBe(201);
      expect(retried.body).toMatchObject({ id: pending[0]?.id, status: 'RESERVED' });
    } finally {
      await worker.stop();
    }
  }, 60_000);
});
