import { SandboxGateway } from '../support/gateway';
import { eventually, http, startTroupe, type Troupe } from '../support/harness';
import { recordHistory } from '../support/histories';
import { createShow } from '../support/inventory';

const customer = { name: 'Late Larry', email: 'late@troupe.test' };

// A payment slower than the hold: the booking stops waiting when the hold expires (its seats are free
// for others at once, not held by a stuck payment), and the money that lands afterwards is refunded,
// with the booking saying why.
describe('a payment that completes after the hold expired', () => {
  let gateway: SandboxGateway;
  let troupe: Troupe;
  beforeAll(async () => {
    gateway = await new SandboxGateway().start();
    troupe = await startTroupe({ env: { PAYMENT_GATEWAY_URL: gateway.url, BOOKING_HOLD_SECONDS: '4' } });
  });
  afterAll(async () => {
    await troupe?.stop();
    await gateway?.stop();
  });

  it('lets the booking expire on time, then refunds the late capture and records why', async () => {
    const showId = await createShow(troupe.db);
    const held = await http(`${troupe.url}/api/v1/bookings`, { body: { showId, seatIds: ['G1'], customer } });
    expect(held.status).toBe(201);
    // The gateway holds its answer to the authorization for 6 s (then fails it; the retry succeeds).
    await gateway.inject({ operation: 'authorize', phase: 'before', status: 503, delayMs: 6_000, times: 1 });

    const confirm = await http(`${troupe.url}/api/v1/bookings/${held.body.id}/confirm`, {
      body: { paymentMethod: 'pm_card_visa' },
    });
    expect(confirm.status).toBe(409);
    expect(confirm.body.detail).toMatch(/not decided before the hold expired/);
    // The seat is free for someone else right away.
    await eventually(async () =>
      expect((await http(`${troupe.url}/api/v1/bookings/${held.body.id}`)).body.status).toBe('EXPIRED'),
    );
    const other = await http(`${troupe.url}/api/v1/bookings`, {
      body: { showId, seatIds: ['G1'], customer: { name: 'Next', email: 'next@troupe.test' } },
    });
    expect(other.status).toBe(201);

    const expired = await eventually(async () => {
      const got = await http(`${troupe.url}/api/v1/bookings/${held.body.id}`);
      expect(got.body.error).toMatchObject({ type: 'PaymentTooLate' });
      return got.body;
    }, 30_000);
    expect(expired.status).toBe('EXPIRED');
    expect(expired.error.message).toMatch(/captured after the booking expired; it was refunded in full/);
    expect(await gateway.ledger(held.body.id)).toEqual([
      { kind: 'authorize', amount: expired.amount },
      { kind: 'capture', amount: expired.amount },
      { kind: 'refund', amount: expired.amount },
    ]);
    await troupe.client.workflow.getHandle(held.body.workflowId).result();
    recordHistory(held.body.workflowId, 'booking-expired-late-payment-refunded');
  }, 60_000);
});
