import { SandboxGateway } from '../support/gateway';
import { eventually, http, startTroupe, type Troupe } from '../support/harness';
import { recordHistory } from '../support/histories';
import { createShow } from '../support/inventory';
import { SmtpSink } from '../support/smtp-sink';

const customer = { name: 'Ada Lovelace', email: 'ada@troupe.test' };

describe('a booking: hold, confirm with a payment, cancel with a refund', () => {
  let gateway: SandboxGateway;
  let smtp: SmtpSink;
  let troupe: Troupe;

  beforeAll(async () => {
    [gateway, smtp] = await Promise.all([new SandboxGateway().start(), new SmtpSink().start()]);
    troupe = await startTroupe({ env: { PAYMENT_GATEWAY_URL: gateway.url, SMTP_URL: smtp.url } });
  });
  afterAll(async () => {
    await troupe?.stop();
    await Promise.all([gateway?.stop(), smtp?.stop()]);
  });

  const book = (body: object, headers: Record<string, string> = {}) =>
    http(`${troupe.url}/api/v1/bookings`, { body, headers });
  const confirm = (id: string, paymentMethod: string) =>
    http(`${troupe.url}/api/v1/bookings/${id}/confirm`, { body: { paymentMethod } });
  const cancel = (id: string) => http(`${troupe.url}/api/v1/bookings/${id}/cancel`, { method: 'POST' });
  const seatStatus = async (showId: number) => {
    const map = await http(`${troupe.url}/api/v1/shows/${showId}/seats`);
    return Object.fromEntries(map.body.seats.map((s: { id: string; status: string }) => [s.id, s.status]));
  };
  const mailsFor = (bookingId: string) => smtp.received.filter((m) => m.text.includes(bookingId));

  it('holds all seats, confirms with a captured payment, books the seats and emails once', async () => {
    const showId = await createShow(troupe.db, { priceMinor: 1250 });
    const before = Date.now();
    const held = await book({ showId, seatIds: ['A2', 'A1'], customer });
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({
      status: 'RESERVED',
      seatIds: ['A1', 'A2'],
      amount: 2500,
      currency: 'EUR',
    });
    expect(held.headers.get('location')).toBe(`/api/v1/bookings/${held.body.id}`);
    // The default hold is BOOKING_HOLD_SECONDS=600.
    const expiresIn = Date.parse(held.body.holdExpiresAt) - before;
    expect(expiresIn).toBeGreaterThan(590_000);
    expect(expiresIn).toBeLessThan(610_000);
    expect(await seatStatus(showId)).toMatchObject({ A1: 'HELD', A2: 'HELD', A3: 'AVAILABLE' });

    const confirmed = await confirm(held.body.id, 'pm_card_visa');
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({
      status: 'CONFIRMED',
      payment: { status: 'CAPTURED', amount: 2500 },
    });
    expect(await seatStatus(showId)).toMatchObject({ A1: 'BOOKED', A2: 'BOOKED' });
    expect(await gateway.ledger(held.body.id)).toEqual([
      { kind: 'authorize', amount: 2500 },
      { kind: 'capture', amount: 2500 },
    ]);

    await eventually(async () => expect(mailsFor(held.body.id)).toHaveLength(1));
    const [mail] = mailsFor(held.body.id);
    expect(mail?.subject).toMatch(/^Booking confirmed: /);
    expect(mail?.to).toEqual([customer.email]);
    expect(mail?.messageId).toBe(`<booking-confirmed.${held.body.id}@troupe.test>`);

    const state = await troupe.client.workflow.getHandle(held.body.workflowId).query('bookingState');
    expect(state).toMatchObject({ status: 'CONFIRMED', payment: { status: 'CAPTURED' } });
    await eventually(async () => {
      const runs = [];
      for await (const run of troupe.client.workflow.list({
        query: `WorkflowId = "${held.body.workflowId}" AND BookingStatus = "CONFIRMED"`,
      })) {
        runs.push(run);
      }
      expect(runs).toHaveLength(1);
    });

    // Cancelling a confirmed booking refunds it and frees the seats; a second cancel is harmless.
    const cancelled = await cancel(held.body.id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      status: 'CANCELLED',
      payment: { status: 'REFUNDED', refundedAmount: 2500 },
    });
    expect(await seatStatus(showId)).toMatchObject({ A1: 'AVAILABLE', A2: 'AVAILABLE' });
    expect(await gateway.ledger(held.body.id)).toEqual([
      { kind: 'authorize', amount: 2500 },
      { kind: 'capture', amount: 2500 },
      { kind: 'refund', amount: 2500 },
    ]);
    const again = await cancel(held.body.id);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('CANCELLED');
    expect((await gateway.ledger(held.body.id)).filter((e) => e.kind === 'refund')).toHaveLength(1);

    await eventually(async () => expect(mailsFor(held.body.id)).toHaveLength(2));
    expect(mailsFor(held.body.id)[1]?.subject).toMatch(/^Booking cancelled: /);
    expect(mailsFor(held.body.id)[1]?.text).toContain('€25.00 has been refunded');
    await troupe.client.workflow.getHandle(held.body.workflowId).result();
    recordHistory(held.body.workflowId, 'booking-cancelled-after-confirm');
    recordHistory(`payment-${confirmed.body.payment.id}`, 'payment-captured-refunded');
  });

  it('runs bookings and their payments on a task queue of their own, so a backlog of leads never delays them', async () => {
    const showId = await createShow(troupe.db);
    const held = await book({ showId, seatIds: ['C1'], customer });
    expect(held.status).toBe(201);
    expect((await confirm(held.body.id, 'pm_card_visa')).status).toBe(200);
    const bookingsQueue = `${troupe.config.temporal.taskQueue}-bookings`;
    const booking = await troupe.client.workflow.getHandle(held.body.workflowId).describe();
    expect(booking.taskQueue).toBe(bookingsQueue);
    // The child payment inherits the queue; nothing of this booking runs on the leads' main queue.
    await eventually(async () => {
      const types: string[] = [];
      const query = `TaskQueue = "${bookingsQueue}"`;
      for await (const run of troupe.client.workflow.list({ query })) types.push(run.type);
      expect(types).toEqual(expect.arrayContaining(['bookingWorkflow', 'paymentWorkflow']));
    });
  });

  it('a declined card answers 402 and leaves the booking RESERVED; another card then succeeds', async () => {
    const showId = await createShow(troupe.db);
    const held = await book({ showId, seatIds: ['B1'], customer });
    const declined = await confirm(held.body.id, 'pm_card_chargeDeclined');
    expect(declined.status).toBe(402);
    expect(declined.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(declined.body).toMatchObject({
      title: 'Payment declined',
      booking: { status: 'RESERVED', payment: { status: 'DECLINED' } },
    });
    expect(await seatStatus(showId)).toMatchObject({ B1: 'HELD' });

    const confirmed = await confirm(held.body.id, 'pm_card_visa');
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({
      status: 'CONFIRMED',
      payment: { status: 'CAPTURED', amount: 1250 },
    });
    // The declined attempt never captured; the second captured once.
    expect((await gateway.ledger(held.body.id)).filter((e) => e.kind === 'capture')).toEqual([
      { kind: 'capture', amount: 1250 },
    ]);
    // Confirming again is answered with the confirmation, not a second charge.
    const repeat = await confirm(held.body.id, 'pm_card_visa');
    expect(repeat.status).toBe(200);
    expect((await gateway.ledger(held.body.id)).filter((e) => e.kind === 'capture')).toHaveLength(1);
    recordHistory(held.body.workflowId, 'booking-declined-then-confirmed');
  });

  it('cancelling a booking whose payment was already refunded through the payments API refunds nothing more', async () => {
    const showId = await createShow(troupe.db);
    const held = await book({ showId, seatIds: ['G1'], customer });
    const confirmed = await confirm(held.body.id, 'pm_card_visa');
    const refunded = await http(`${troupe.url}/api/v1/payments/${confirmed.body.payment.id}/refund`, {
      body: {},
    });
    expect(refunded.body.status).toBe('REFUNDED');
    await eventually(async () => {
      const booking = await troupe.client.workflow.getHandle(held.body.workflowId).query('bookingState');
      expect(booking).toMatchObject({ status: 'CONFIRMED' });
      await troupe.client.workflow.getHandle(`payment-${confirmed.body.payment.id}`).result();
    });
    const cancelled = await cancel(held.body.id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    expect((await gateway.ledger(held.body.id)).filter((e) => e.kind === 'refund')).toEqual([
      { kind: 'refund', amount: 1250 },
    ]);
  });

  it('seats lost before the payment completes: the capture is refunded, the booking FAILED with why', async () => {
    const showId = await createShow(troupe.db);
    const held = await book({ showId, seatIds: ['H1', 'H2'], customer });
    // The hold vanishes behind the workflow's back (as when a late hold is taken over by another booking).
    await troupe.db.deleteFrom('seat_holds').where('booking_id', '=', held.body.id).execute();

    const lost = await confirm(held.body.id, 'pm_card_visa');
    expect(lost.status).toBe(409);
    expect(lost.body.detail).toMatch(
      /^Seats H1, H2 were released before the payment completed; the payment was refunded/,
    );
    const booking = await http(`${troupe.url}/api/v1/bookings/${held.body.id}`);
    expect(booking.body).toMatchObject({
      status: 'FAILED',
      error: { type: 'HoldLost' },
      payment: { status: 'REFUNDED', refundedAmount: 2500 },
    });
    expect(await gateway.ledger(held.body.id)).toEqual([
      { kind: 'authorize', amount: 2500 },
      { kind: 'capture', amount: 2500 },
      { kind: 'refund', amount: 2500 },
    ]);
    expect(await seatStatus(showId)).toMatchObject({ H1: 'AVAILABLE', H2: 'AVAILABLE' });
    recordHistory(held.body.workflowId, 'booking-failed-hold-lost-refunded');
    recordHistory(`payment-${booking.body.payment.id}`, 'payment-refunded-after-hold-lost');
  });

  it('cancelling a reserved booking releases its seats without touching money', async () => {
    const showId = await createShow(troupe.db);
    const held = await book({ showId, seatIds: ['C1', 'C2'], customer });
    const cancelled = await cancel(held.body.id);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED', payment: null });
    expect(await seatStatus(showId)).toMatchObject({ C1: 'AVAILABLE', C2: 'AVAILABLE' });
    expect(await gateway.ledger(held.body.id)).toEqual([]);
    const late = await confirm(held.body.id, 'pm_card_visa');
    expect(late.status).toBe(409);
    expect(late.body.detail).toMatch(/CANCELLED/);
    recordHistory(held.body.workflowId, 'booking-cancelled-while-reserved');
  });

  it('holds are all or nothing: an overlapping request gets 409 naming the taken seats and holds none', async () => {
    const showId = await createShow(troupe.db);
    expect((await book({ showId, seatIds: ['D1', 'D2'], customer })).status).toBe(201);
    const overlapping = await book({ showId, seatIds: ['D2', 'D3', 'D4'], customer });
    expect(overlapping.status).toBe(409);
    expect(overlapping.body).toMatchObject({ title: 'Seats unavailable', takenSeatIds: ['D2'] });
    expect(await seatStatus(showId)).toMatchObject({
      D1: 'HELD',
      D2: 'HELD',
      D3: 'AVAILABLE',
      D4: 'AVAILABLE',
    });
  });

  it('an Idempotency-Key makes a retried POST return the same booking', async () => {
    const showId = await createShow(troupe.db);
    const key = `booking-${Date.now()}`;
    const body = { showId, seatIds: ['E1'], customer };
    const first = await book(body, { 'Idempotency-Key': key });
    const retry = await book(body, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.body.status).toBe('RESERVED');
    const misuse = await book({ ...body, seatIds: ['E2'] }, { 'Idempotency-Key': key });
    expect(misuse.status).toBe(422);
  });

  it('404 for an unknown show or seat, 400 for bad input, 404 for an unknown booking', async () => {
    const showId = await createShow(troupe.db);
    const unknownShow = await book({ showId: 999_999, seatIds: ['A1'], customer });
    expect(unknownShow.status).toBe(404);
    expect(unknownShow.body.detail).toBe('Show 999999 does not exist');
    const unknownSeat = await book({ showId, seatIds: ['A1', 'Z99'], customer });
    expect(unknownSeat.status).toBe(404);
    expect(unknownSeat.body.detail).toBe(`Show ${showId} has no seat Z99`);
    expect(await seatStatus(showId)).toMatchObject({ A1: 'AVAILABLE' });

    const repeated = await book({ showId, seatIds: ['A1', 'A1'], customer });
    expect(repeated.status).toBe(400);
    expect(repeated.body.errors[0]).toEqual({ field: 'body.seatIds', message: 'must not repeat a seat' });
    const noSeats = await book({ showId, seatIds: [], customer });
    expect(noSeats.body.errors[0].field).toBe('body.seatIds');
    const badEmail = await book({ showId, seatIds: ['A1'], customer: { name: 'x', email: 'nope' } });
    expect(badEmail.body.errors[0].field).toBe('body.customer.email');

    expect((await http(`${troupe.url}/api/v1/bookings/bk_000000000000000000000000`)).status).toBe(404);
    expect((await confirm('bk_000000000000000000000000', 'pm_card_visa')).status).toBe(404);
    expect((await http(`${troupe.url}/api/v1/bookings/nope`)).status).toBe(400);
  });
});

describe('a hold that runs out', () => {
  let gateway: SandboxGateway;
  let troupe: Troupe;
  beforeAll(async () => {
    gateway = await new SandboxGateway().start();
    troupe = await startTroupe({ env: { PAYMENT_GATEWAY_URL: gateway.url, BOOKING_HOLD_SECONDS: '2' } });
  });
  afterAll(async () => {
    await troupe?.stop();
    await gateway?.stop();
  });

  it('expires on its durable timer: the seats are released and a late confirmation is refused', async () => {
    const showId = await createShow(troupe.db);
    const held = await http(`${troupe.url}/api/v1/bookings`, {
      body: { showId, seatIds: ['F1', 'F2'], customer },
    });
    expect(held.status).toBe(201);
    const expired = await eventually(async () => {
      const got = await http(`${troupe.url}/api/v1/bookings/${held.body.id}`);
      expect(got.body.status).toBe('EXPIRED');
      return got.body;
    }, 15_000);
    expect(expired.holdExpiresAt).toBeNull();
    const seats = await http(`${troupe.url}/api/v1/shows/${showId}/seats`);
    expect(
      seats.body.seats
        .filter((s: { id: string }) => ['F1', 'F2'].includes(s.id))
        .map((s: { status: string }) => s.status),
    ).toEqual(['AVAILABLE', 'AVAILABLE']);

    const late = await http(`${troupe.url}/api/v1/bookings/${held.body.id}/confirm`, {
      body: { paymentMethod: 'pm_card_visa' },
    });
    expect(late.status).toBe(409);
    expect(await gateway.ledger(held.body.id)).toEqual([]);
    // The seats can be held again by someone else.
    expect(
      (await http(`${troupe.url}/api/v1/bookings`, { body: { showId, seatIds: ['F2'], customer } })).status,
    ).toBe(201);
    await troupe.client.workflow.getHandle(held.body.workflowId).result();
    recordHistory(held.body.workflowId, 'booking-expired');
  });
});
