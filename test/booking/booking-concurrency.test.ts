import { SandboxGateway } from '../support/gateway';
import { http, startTroupe, type Troupe } from '../support/harness';
import { createShow } from '../support/inventory';

const customer = { name: 'Crowd', email: 'crowd@troupe.test' };

describe('never a double booking, whatever the concurrency', () => {
  let gateway: SandboxGateway;
  let troupes: [Troupe, Troupe];

  beforeAll(async () => {
    gateway = await new SandboxGateway().start();
    // Two API processes' worth of API and worker on one task queue: correctness must not depend on one process.
    const first = await startTroupe({ env: { PAYMENT_GATEWAY_URL: gateway.url } });
    const second = await startTroupe({ env: { ...first.env } });
    troupes = [first, second];
  });
  afterAll(async () => {
    await Promise.all(troupes.map((t) => t.stop()));
    await gateway?.stop();
  });

  const holdsOf = (showId: number) =>
    troupes[0].db
      .selectFrom('seat_holds')
      .select(['seat_label', 'booking_id'])
      .where('show_id', '=', showId)
      .execute();

  it('50 concurrent bookings for one seat: exactly one 201, 49 409s naming the seat', async () => {
    const showId = await createShow(troupes[0].db);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        http(`${troupes[i % 2 === 0 ? 0 : 1].url}/api/v1/bookings`, {
          body: { showId, seatIds: ['G7'], customer },
        }),
      ),
    );
    const won = responses.filter((r) => r.status === 201);
    const lost = responses.filter((r) => r.status === 409);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    expect(lost.every((r) => JSON.stringify(r.body.takenSeatIds) === '["G7"]')).toBe(true);
    expect(await holdsOf(showId)).toEqual([{ seat_label: 'G7', booking_id: won[0]?.body.id }]);
  }, 90_000);

  it('overlapping seat sets under contention: every seat held at most once, every hold all or nothing', async () => {
    const showId = await createShow(troupes[0].db);
    const rows = ['H', 'J'];
    // 40 requests for 2 or 3 adjacent seats in two rows, overlapping heavily.
    const requests = Array.from({ length: 40 }, (_, i) => {
      const row = rows[i % 2];
      const start = 1 + ((i * 7) % 9);
      const size = 2 + (i % 2);
      return Array.from({ length: size }, (_, k) => `${row}${start + k}`);
    });
    const responses = await Promise.all(
      requests.map((seatIds, i) =>
        http(`${troupes[i % 2 === 0 ? 0 : 1].url}/api/v1/bookings`, { body: { showId, seatIds, customer } }),
      ),
    );
    expect(responses.every((r) => r.status === 201 || r.status === 409)).toBe(true);

    const holds = await holdsOf(showId);
    const seats = holds.map((h) => h.seat_label);
    expect(new Set(seats).size).toBe(seats.length);
    responses.forEach((response, i) => {
      const mine = holds
        .filter((h) => h.booking_id === response.body.id)
        .map((h) => h.seat_label)
        .sort();
      if (response.status === 201) expect(mine).toEqual([...(requests[i] ?? [])].sort());
      else expect(response.body.takenSeatIds.length).toBeGreaterThan(0);
    });
    // Refused requests hold nothing: every held seat belongs to a booking that got its 201.
    const winners = new Set(responses.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(winners.size).toBeGreaterThan(0);
    expect(holds.every((h) => winners.has(h.booking_id))).toBe(true);
  }, 90_000);
});
