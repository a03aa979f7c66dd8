// (3) Contention: N clients race for a few seats of one show. Time to the last answer, winners and
// losers separately, holds per second, the invariant that no seat is held twice — and the ratio to
// one uncontended booking measured in the same run.

import { http } from '../../test/support/harness';
import { createShow } from '../../test/support/inventory';
import type { BenchWorld } from './env';
import { latency, percentile, ratio, round } from './stats';

const customer = { name: 'Racer', email: 'racer@troupe.test' };
const SEATS = ['E5', 'E6'];
/** Every seat label of a screen (10 rows × 12), for runs that need distinct seats. */
export const SEAT_LABELS = Array.from({ length: 10 }, (_, r) =>
  Array.from({ length: 12 }, (_, c) => `${String.fromCharCode(65 + r)}${c + 1}`),
).flat();

export async function uncontendedBooking(world: BenchWorld, times: number) {
  const ms: number[] = [];
  const showId = await createShow(world.troupe.db);
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    const r = await http(`${world.troupe.url}/api/v1/bookings`, {
      body: { showId, seatIds: [SEAT_LABELS[i % SEAT_LABELS.length]], customer },
    });
    if (r.status !== 201) throw new Error(`uncontended booking answered ${r.status}`);
    ms.push(performance.now() - t);
  }
  return latency(ms);
}

export async function race(world: BenchWorld, n: number, uncontendedP50: number) {
  const showId = await createShow(world.troupe.db);
  const answers: { status: number; ms: number }[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const t = performance.now();
      try {
        const r = await http(`${world.troupe.url}/api/v1/bookings`, {
          body: { showId, seatIds: [SEATS[i % SEATS.length]], customer },
        });
        answers.push({ status: r.status, ms: performance.now() - t });
      } catch {
        answers.push({ status: 0, ms: performance.now() - t });
      }
    }),
  );
  const lastAnswerMs = performance.now() - started;
  const holds = await world.troupe.db
    .selectFrom('seat_holds')
    .select('seat_label')
    .where('show_id', '=', showId)
    .execute();
  const labels = holds.map((h) => h.seat_label);
  const winners = answers.filter((a) => a.status === 201).map((a) => a.ms);
  const losers = answers.filter((a) => a.status === 409).map((a) => a.ms);
  const all = answers.map((a) => a.ms);
  return {
    n,
    seats: SEATS.length,
    lastAnswerMs: round(lastAnswerMs),
    winners: latency(winners),
    losers: latency(losers),
    errors: answers.filter((a) => a.status !== 201 && a.status !== 409).length,
    decisionsPerSecond: round(n / (lastAnswerMs / 1000)),
    noSeatHeldTwice: new Set(labels).size === labels.length && winners.length === labels.length,
    ratioToUncontended: {
      p99: ratio(percentile(all, 99), uncontendedP50),
      max: ratio(Math.max(...all), uncontendedP50),
    },
  };
}
