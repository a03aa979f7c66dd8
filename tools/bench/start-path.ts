// (1) The start path: POST /leads and POST /bookings through the API (autocannon, each request with its
// own Idempotency-Key, as a careful client sends) against two baselines: starting the same number of
// minimal workflows / update-with-start calls straight through the Temporal client ("bare"), and the
// same plus the MySQL writes Troupe must make first ("durable": the idempotency claim and the lead row;
// the claim, the seat-hold transaction and the reserved mark), made with Troupe's own store code.
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import autocannon from 'autocannon';
import { claimIdempotencyKey } from '../../api/idempotency';
import { insertLead } from '../../api/leads/store';
import { newLeadId } from '../../db/lead-ids';
import { holdSeats, markReserved } from '../../db/seat-holds';
import { newLead } from '../../test/support/harness';
import { createShow } from '../../test/support/inventory';
import { benchReserveUpdate } from './baseline/shared';
import { SEAT_LABELS } from './contention';
import type { BenchWorld } from './env';
import { type Latency, ratio, round, runPool } from './stats';

type Side = { perSecond: number; p50: number; p99: number; errors: number };
export interface StartFigure {
  troupe: Side;
  baseline: Side;
  ratio: { perSecond: number | null; p99: number | null };
  durable: Side;
  durableRatio: { perSecond: number | null; p99: number | null };
}

async function cannon(url: string, count: number, concurrency: number, body: () => object) {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: concurrency,
    amount: count,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify(body()),
          headers: { ...req.headers, 'idempotency-key': randomUUID() },
        }),
      },
    ],
  });
  return {
    perSecond: round(count / Math.max(result.duration, 0.001)),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

type Pool = { ms: number[]; seconds: number; errors: number };
const side = (pool: Pool, latencyOf: (ms: number[]) => Latency): Side => {
  const l = latencyOf(pool.ms);
  return { perSecond: round(pool.ms.length / pool.seconds), p50: l.p50, p99: l.p99, errors: pool.errors };
};
const ratios = (troupe: Side, baseline: Side) => ({
  perSecond: ratio(baseline.perSecond, troupe.perSecond),
  p99: ratio(troupe.p99, baseline.p99),
});
const figure = (troupe: Side, bare: Pool, durable: Pool, l: (ms: number[]) => Latency): StartFigure => {
  const baseline = side(bare, l);
  const durableSide = side(durable, l);
  return {
    troupe,
    baseline,
    ratio: ratios(troupe, baseline),
    durable: durableSide,
    durableRatio: ratios(troupe, durableSide),
  };
};

async function drained(troupe: BenchWorld['troupe'], timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await troupe.db
      .selectFrom('leads')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'not in', ['COMPLETED', 'FAILED'])
      .executeTakeFirstOrThrow();
    if (Number(open.n) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('leads started by the start-path run did not finish in time');
}

export async function startPath(
  world: BenchWorld,
  count: number,
  concurrency: number,
  latencyOf: (ms: number[]) => Latency,
) {
  const { troupe, baseline } = world;
  const leads = await cannon(`${troupe.url}/api/v1/leads`, count, concurrency, () => newLead());
  // The started leads run on: let them finish so they do not load what is measured next.
  await drained(troupe);
  const starts = await runPool(count, concurrency, () =>
    baseline.client.workflow.start('minimalWorkflow', {
      taskQueue: baseline.taskQueue,
      workflowId: `min-${randomUUID()}`,
    }),
  );
  const durableStarts = await runPool(count, concurrency, async () => {
    const body = newLead();
    const id = await claimIdempotencyKey(troupe.db, {
      scope: 'lead',
      key: randomUUID(),
      request: body,
      resourceId: newLeadId(),
    });
    await insertLead(troupe.db, id, body);
    await baseline.client.workflow.start('minimalWorkflow', {
      taskQueue: baseline.taskQueue,
      workflowId: `min-${id}`,
    });
  });
  // The durable baseline's lead rows stay NEW (no lead workflow): out of the way of later sections.
  await troupe.db.deleteFrom('leads').where('status', '=', 'NEW').execute();

  const showsFor = () =>
    Promise.all(
      Array.from({ length: Math.ceil(count / SEAT_LABELS.length) + 1 }, () => createShow(troupe.db)),
    );
  const shows = await showsFor();
  let next = 0;
  const bookings = await cannon(`${troupe.url}/api/v1/bookings`, count, concurrency, () => {
    const i = next++;
    return {
      showId: shows[Math.floor(i / SEAT_LABELS.length) % shows.length],
      seatIds: [SEAT_LABELS[i % SEAT_LABELS.length]],
      customer: { name: 'Bench', email: 'bench@troupe.test' },
    };
  });
  const updates = await runPool(count, concurrency, () =>
    baseline.client.workflow.executeUpdateWithStart(benchReserveUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation('reserveShapedWorkflow', {
        taskQueue: baseline.taskQueue,
        workflowId: `res-${randomUUID()}`,
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    }),
  );
  const durableShows = await showsFor();
  let nextDurable = 0;
  const durableUpdates = await runPool(count, concurrency, async () => {
    const i = nextDurable++;
    const body = {
      showId: durableShows[Math.floor(i / SEAT_LABELS.length) % durableShows.length] as number,
      seatIds: [SEAT_LABELS[i % SEAT_LABELS.length] as string],
      customer: { name: 'Bench', email: 'bench@troupe.test' },
    };
    const key = randomUUID();
    const id = await claimIdempotencyKey(troupe.db, {
      scope: 'booking',
      key,
      request: body,
      resourceId: `bk_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    });
    const workflowId = `res-${id}`;
    const hold = await holdSeats(troupe.db, {
      bookingId: id,
      workflowId,
      ...body,
      holdExpiresAt: new Date(Date.now() + 600_000).toISOString(),
      status: 'PENDING',
    });
    if (hold.outcome !== 'held') throw new Error(`durable baseline: seat hold ${hold.outcome}`);
    await baseline.client.workflow.executeUpdateWithStart(benchReserveUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation('reserveShapedWorkflow', {
        taskQueue: baseline.taskQueue,
        workflowId,
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
    await markReserved(troupe.db, id);
  });
  return {
    leads: figure(leads, starts, durableStarts, latencyOf),
    bookings: figure(bookings, updates, durableUpdates, latencyOf),
  };
}
