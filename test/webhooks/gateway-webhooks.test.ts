import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { HttpPaymentGateway } from '../../clients/payment-gateway';
import { troupeClient } from '../../clients/temporal';
import { loadConfig } from '../../config';
import { createDb, type Db } from '../../db';
import type { Database } from '../../db/schema';
import type { GatewayDatabase } from '../../gateway/schema';
import { reconcilePayments } from '../../tools/payments/reconcile';
import { prepareDatabase } from '../support/environment';
import { GATEWAY_KEY } from '../support/gateway';
import { eventually, http } from '../support/harness';
import { recordHistory } from '../support/histories';
import { createShow } from '../support/inventory';
import { startTroupeProcesses, type TroupeProcesses } from '../support/troupe-processes';

const SECRET = 'whsec_test_gateway_webhooks_0001';
const ROTATED = 'whsec_test_gateway_webhooks_0002';
const customer = (n: number) => ({ name: `Webhook ${n}`, email: `webhook-${n}@troupe.test` });

// The real sandbox gateway as its own process sends real signed webhooks to the real API (its own
// process too), with a worker process behind it: payments settle whichever comes first, the gateway's
// answer or its event, and nothing is captured or refunded twice.
describe('payments settled by the signed webhooks of the gateway', () => {
  let troupe: TroupeProcesses;
  let db: Kysely<Database & GatewayDatabase>;
  let api: string;
  const gateway = (route: string, body?: unknown) =>
    http(`${troupe.gatewayUrl}${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_KEY}` },
      ...(body !== undefined ? { body } : { raw: '' }),
    });
  const setMode = (mode: 'normal' | 'chaos' | 'paused') => gateway('/_sandbox/webhooks', { mode });
  const payment = async (id: string) => (await http(`${api}/api/v1/payments/${id}`)).body;
  const booking = async (id: string) => (await http(`${api}/api/v1/bookings/${id}`)).body;
  const ledger = (authorizationId: string) =>
    db
      .selectFrom('gateway_ledger')
      .select(['kind', 'amount'])
      .where('authorization_id', '=', authorizationId)
      .orderBy('id')
      .execute();
  const storedEvents = (authorizationId: string) =>
    db.selectFrom('gateway_events').selectAll().where('authorization_id', '=', authorizationId).execute();

  beforeAll(async () => {
    const mysqlUrl = await prepareDatabase(`${process.env.TEST_MYSQL_DATABASE ?? 'troupe_test'}_webhooks`);
    db = createDb<Database & GatewayDatabase>(mysqlUrl);
    troupe = await startTroupeProcesses({
      temporalAddress: process.env.TEST_TEMPORAL_ADDRESS ?? '',
      mysqlUrl,
      apis: 1,
      workers: 1,
      dataDir: mkdtempSync(path.join(tmpdir(), 'troupe-webhooks-')),
      // Troupe accepts the gateway's current secret and the one it rotates to.
      env: { GATEWAY_WEBHOOK_SECRET: `${SECRET},${ROTATED}`, BOOKING_HOLD_SECONDS: '40' },
      gatewayEnv: { SANDBOX_GATEWAY_WEBHOOK_SECRET: SECRET, SANDBOX_GATEWAY_PENDING_SECONDS: '60' },
    });
    api = troupe.apis[0]?.url ?? '';
  }, 120_000);
  afterAll(async () => {
    await troupe?.stop();
    await db?.destroy();
  });

  /** A webhook as the gateway would sign it, for the refusal cases. */
  function signed(body: object, options: { secret?: string; at?: number; tamper?: boolean } = {}) {
    const raw = JSON.stringify(body);
    const at = options.at ?? Math.floor(Date.now() / 1000);
    const v1 = createHmac('sha256', options.secret ?? SECRET)
      .update(`${at}.${raw}`)
      .digest('hex');
    return {
      raw: options.tamper ? raw.replace('"captured":0', '"captured":1') : raw,
      headers: { 'content-type': 'application/json', 'sandbox-signature': `t=${at},v1=${v1}` },
    };
  }
  const anEvent = (id: string, paymentId = 'pay_000000000000000000000000') => ({
    id,
    object: 'event',
    type: 'payment.authorized',
    data: {
      object: {
        id: `auth_${id}`,
        status: 'authorized',
        amount: 1000,
        captured: 0,
        refunded: 0,
        version: 1,
        metadata: { troupe_payment_id: paymentId },
      },
    },
  });
  const receive = (request: ReturnType<typeof signed>) =>
    http(`${api}/api/v1/webhooks/gateway`, { method: 'POST', ...request });
  const stored = (eventId: string) =>
    db.selectFrom('gateway_events').select(['status']).where('event_id', '=', eventId).executeTakeFirst();

  it('refuses a tampered body, a wrong secret and a stale timestamp, writing nothing; takes both secrets of a rotation', async () => {
    const tampered = await receive(signed(anEvent('evt_tampered'), { tamper: true }));
    expect(tampered.status).toBe(401);
    expect(tampered.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(tampered.body.type).toMatch(/webhook-signature$/);
    const wrongSecret = await receive(
      signed(anEvent('evt_wrong_secret'), { secret: 'whsec_not_the_one_we_share' }),
    );
    expect(wrongSecret.status).toBe(401);
    const stale = await receive(signed(anEvent('evt_stale'), { at: Math.floor(Date.now() / 1000) - 3_600 }));
    expect(stale.status).toBe(401);
    expect(stale.body.detail).toMatch(/timestamp/);
    for (const id of ['evt_tampered', 'evt_wrong_secret', 'evt_stale'])
      expect(await stored(id)).toBeUndefined();

    // A malformed body (validly signed) is a 400 naming the field; a huge one a 413.
    const malformed = await receive(signed({ id: 'evt_malformed', type: 'payment.captured', data: {} }));
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors).toContainEqual(expect.objectContaining({ field: 'body.data.object' }));
    expect(await stored('evt_malformed')).toBeUndefined();
    const huge = await receive(signed({ ...anEvent('evt_huge'), padding: 'x'.repeat(1_000_000) }));
    expect(huge.status).toBe(413);

    // The rotated secret works as well as the current one.
    expect((await receive(signed(anEvent('evt_rotated'), { secret: ROTATED }))).status).toBe(200);
  });

  it('keeps and reports an event for a payment Troupe does not know; a duplicate has no second effect', async () => {
    const first = await receive(signed(anEvent('evt_unknown')));
    expect(first).toMatchObject({ status: 200, body: { received: true, duplicate: false } });
    const again = await receive(signed(anEvent('evt_unknown')));
    expect(again).toMatchObject({ status: 200, body: { received: true, duplicate: true } });
    await eventually(async () => expect(await stored('evt_unknown')).toEqual({ status: 'unmatched' }));
    const listed = await http(`${api}/api/v1/webhooks/gateway/events?status=unmatched`);
    expect(listed.body.items.map((e: { eventId: string }) => e.eventId)).toContain('evt_unknown');
  });

  it('a card payment: its authorized and captured events arrive, are stored once each and change nothing more', async () => {
    const created = await http(`${api}/api/v1/payments`, {
      headers: { 'idempotency-key': `webhook-card-${Date.now()}` },
      body: { amount: 2500, currency: 'EUR', paymentMethod: 'pm_card_visa' },
    });
    expect(created).toMatchObject({ status: 201, body: { status: 'CAPTURED', capturedAmount: 2500 } });
    const authorizationId = created.body.authorizationId;
    await eventually(async () => {
      const events = await storedEvents(authorizationId);
      expect(events.map((e) => e.type).sort()).toEqual(['payment.authorized', 'payment.captured']);
      expect(events.every((e) => e.status === 'forwarded')).toBe(true);
    });
    expect(await ledger(authorizationId)).toEqual([
      { kind: 'authorize', amount: 2500 },
      { kind: 'capture', amount: 2500 },
    ]);
    expect(await payment(created.body.id)).toMatchObject({ status: 'CAPTURED', capturedAmount: 2500 });
  });

  it('a capture whose answer is lost settles when the webhook arrives, without a second capture', async () => {
    // Every capture answer is lost after the gateway commits: only the webhook can tell.
    await gateway('/_sandbox/faults', { operation: 'capture', phase: 'after', status: 503, times: 100 });
    try {
      const created = await http(`${api}/api/v1/payments`, {
        headers: { 'idempotency-key': `webhook-lost-capture-${Date.now()}` },
        body: { amount: 4200, currency: 'EUR', paymentMethod: 'pm_card_visa' },
      });
      expect(created).toMatchObject({ status: 201, body: { status: 'CAPTURED', capturedAmount: 4200 } });
      expect((await ledger(created.body.authorizationId)).filter((e) => e.kind === 'capture')).toHaveLength(
        1,
      );
      recordHistory(created.body.workflowId, 'payment-capture-settled-by-webhook');
    } finally {
      await http(`${troupe.gatewayUrl}/_sandbox/faults`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${GATEWAY_KEY}` },
      });
    }
  }, 60_000);

  it('events sent twice and out of order: one capture, refunds as asked, each event stored once', async () => {
    await setMode('chaos');
    try {
      const created = await http(`${api}/api/v1/payments`, {
        headers: { 'idempotency-key': `webhook-chaos-${Date.now()}` },
        body: { amount: 3000, currency: 'EUR', paymentMethod: 'pm_card_visa' },
      });
      expect(created.status).toBe(201);
      const refunded = await http(`${api}/api/v1/payments/${created.body.id}/refund`, {
        body: { amount: 700 },
      });
      expect(refunded.body).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 700 });
      const authorizationId = created.body.authorizationId;
      await eventually(async () => {
        const types = (await storedEvents(authorizationId)).map((e) => e.type).sort();
        expect(types).toEqual(['payment.authorized', 'payment.captured', 'refund.processed']);
      });
      // Every event was delivered twice, and its second delivery had no effect.
      await eventually(async () => {
        const deliveries = await db
          .selectFrom('gateway_webhook_deliveries')
          .innerJoin(
            'gateway_webhook_events',
            'gateway_webhook_events.id',
            'gateway_webhook_deliveries.event_id',
          )
          .select([
            'gateway_webhook_deliveries.attempts',
            'gateway_webhook_deliveries.last_status',
            'gateway_webhook_deliveries.last_error',
          ])
          .where('gateway_webhook_events.authorization_id', '=', authorizationId)
          .execute();
        // The rows themselves on failure: which send was missing, and what it last met.
        expect(deliveries.filter((d) => d.attempts < 2)).toEqual([]);
        expect(deliveries).toHaveLength(3);
      }, 90_000);
      expect(await ledger(authorizationId)).toEqual([
        { kind: 'authorize', amount: 3000 },
        { kind: 'capture', amount: 3000 },
        { kind: 'refund', amount: 700 },
      ]);
      expect(await payment(created.body.id)).toMatchObject({
        status: 'PARTIALLY_REFUNDED',
        refundedAmount: 700,
      });
    } finally {
      await setMode('normal');
    }
  }, 180_000);

  /** Holds a seat and confirms with the asynchronous method: 202, PENDING_PAYMENT. */
  async function pendingBooking(n: number, seat: string) {
    const showId = await createShow(db as unknown as Db);
    const held = await http(`${api}/api/v1/bookings`, {
      body: { showId, seatIds: [seat], customer: customer(n) },
    });
    expect(held.status).toBe(201);
    const confirm = await http(`${api}/api/v1/bookings/${held.body.id}/confirm`, {
      body: { paymentMethod: 'pm_upi_collect' },
    });
    expect(confirm).toMatchObject({ status: 202, body: { status: 'PENDING_PAYMENT' } });
    expect(confirm.body.payment).toMatchObject({ status: 'PENDING' });
    const pay = await payment(confirm.body.payment.id);
    expect(pay).toMatchObject({ status: 'PENDING', awaitingCustomer: true });
    return {
      bookingId: held.body.id as string,
      paymentId: pay.id as string,
      authorizationId: pay.authorizationId as string,
    };
  }
  const confirmationEmails = (bookingId: string) =>
    troupe.smtp.received.filter(
      (m) => m.subject?.startsWith('Booking confirmed') && m.text.includes(bookingId),
    );

  it('UPI: RESERVED → PENDING_PAYMENT → the customer approves → CONFIRMED, with one capture and one email', async () => {
    const { bookingId, paymentId, authorizationId } = await pendingBooking(1, 'A1');
    expect((await gateway(`/_sandbox/authorizations/${authorizationId}/approve`)).status).toBe(200);
    await eventually(async () => expect((await booking(bookingId)).status).toBe('CONFIRMED'), 30_000);
    expect((await ledger(authorizationId)).filter((e) => e.kind === 'capture')).toHaveLength(1);
    await eventually(async () => expect(confirmationEmails(bookingId)).toHaveLength(1), 30_000);
    recordHistory(`booking-${bookingId}`, 'booking-confirmed-after-customer-approval');
    recordHistory(`payment-${paymentId}`, 'payment-pending-captured-by-webhook');
  }, 60_000);

  it('UPI never approved: the hold expires, the payment is voided, nothing is captured', async () => {
    const { bookingId, paymentId, authorizationId } = await pendingBooking(2, 'A2');
    await eventually(
      async () =>
        expect(await booking(bookingId)).toMatchObject({
          status: 'EXPIRED',
          error: { type: 'PaymentNotCompleted' },
        }),
      75_000,
      1_000,
    );
    await eventually(
      async () => expect(await payment(paymentId)).toMatchObject({ status: 'VOIDED' }),
      30_000,
    );
    expect((await ledger(authorizationId)).map((e) => e.kind)).toEqual(['void']);
    // The customer's app can no longer approve it.
    expect((await gateway(`/_sandbox/authorizations/${authorizationId}/approve`)).status).toBe(400);
    recordHistory(`booking-${bookingId}`, 'booking-expired-payment-not-completed');
    recordHistory(`payment-${paymentId}`, 'payment-pending-voided-never-approved');
  }, 120_000);

  it('a worker killed while the approval arrives: the new worker confirms the booking, once', async () => {
    const { bookingId, authorizationId } = await pendingBooking(3, 'A3');
    const killed = troupe.workers[0];
    killed?.child.kill('SIGKILL');
    await killed?.exited;
    // The webhook reaches the API and its payment's workflow while no worker runs.
    expect((await gateway(`/_sandbox/authorizations/${authorizationId}/approve`)).status).toBe(200);
    await eventually(async () =>
      expect((await storedEvents(authorizationId)).map((e) => e.status)).toContain('forwarded'),
    );
    await troupe.replaceWorker(0, 0);
    await eventually(async () => expect((await booking(bookingId)).status).toBe('CONFIRMED'), 45_000);
    expect((await ledger(authorizationId)).filter((e) => e.kind === 'capture')).toHaveLength(1);
    await eventually(async () => expect(confirmationEmails(bookingId)).toHaveLength(1), 30_000);
  }, 90_000);

  it('the API down while the gateway retries: the event arrives once the API is back', async () => {
    const { bookingId, authorizationId } = await pendingBooking(4, 'A4');
    const restarting = troupe.restartApi(0, 4_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await gateway(`/_sandbox/authorizations/${authorizationId}/approve`)).status).toBe(200);
    await restarting;
    await eventually(async () => expect((await booking(bookingId)).status).toBe('CONFIRMED'), 45_000);
    const attempts = await db
      .selectFrom('gateway_webhook_deliveries')
      .innerJoin('gateway_webhook_events', 'gateway_webhook_events.id', 'gateway_webhook_deliveries.event_id')
      .select(['gateway_webhook_events.type', 'gateway_webhook_deliveries.attempts'])
      .where('gateway_webhook_events.authorization_id', '=', authorizationId)
      .where('gateway_webhook_events.type', '=', 'payment.authorized')
      .executeTakeFirstOrThrow();
    expect(attempts.attempts).toBeGreaterThan(1);
    expect((await ledger(authorizationId)).filter((e) => e.kind === 'capture')).toHaveLength(1);
  }, 90_000);

  it('a lost webhook: reconciliation hands the payment the view of the gateway and it settles', async () => {
    await setMode('paused');
    try {
      const created = await http(`${api}/api/v1/payments`, {
        headers: { 'idempotency-key': `webhook-reconcile-${Date.now()}` },
        body: { amount: 1500, currency: 'EUR', paymentMethod: 'pm_upi_collect' },
      });
      expect(created).toMatchObject({ status: 202, body: { status: 'PENDING', awaitingCustomer: true } });
      expect((await gateway(`/_sandbox/authorizations/${created.body.authorizationId}/approve`)).status).toBe(
        200,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect((await payment(created.body.id)).status).toBe('PENDING');

      const config = loadConfig(troupe.env);
      const { Connection } = await import('@temporalio/client');
      const temporal = troupeClient(await Connection.connect({ address: config.temporal.address }), config);
      try {
        const report = await reconcilePayments(
          {
            db: db as unknown as Db,
            temporal,
            gateway: new HttpPaymentGateway({
              baseUrl: troupe.gatewayUrl,
              apiKey: GATEWAY_KEY,
              timeoutMs: 5_000,
            }),
          },
          { from: new Date(Date.now() - 600_000), to: new Date(Date.now() + 1_000) },
        );
        expect(report.settled).toContainEqual({
          paymentId: created.body.id,
          troupe: 'PENDING',
          gateway: 'authorized',
        });
      } finally {
        await temporal.connection.close();
      }
      await eventually(async () => expect((await payment(created.body.id)).status).toBe('CAPTURED'), 30_000);
      expect((await ledger(created.body.authorizationId)).filter((e) => e.kind === 'capture')).toHaveLength(
        1,
      );
      recordHistory(created.body.workflowId, 'payment-pending-settled-by-reconciliation');
    } finally {
      await setMode('normal');
    }
  }, 90_000);
});
