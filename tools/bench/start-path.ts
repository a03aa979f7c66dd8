// (1) The start path: POST /leads and POST /bookings through the API (autocannon) against starting the
// same number of minimal workflows / update-with-start calls straight through the Temporal client.
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import autocannon from 'autocannon';
import { newLead } from '../../test/support/harness';
import { createShow } from '../../test/support/inventory';
import { benchReserveUpdate } from './baseline/shared';
import { SEAT_LABELS } from './contention';
import type { BenchWorld } from './env';
import { type Latency, ratio, round, runPool } from './stats';

export interface StartFigure {
  troupe: { perSecond: number; p50: number; p99: number; errors: number };
  baseline: { perSecond: number; p50: number; p99: number; errors: number };
  ratio: { perSecond: number | null; p99: number | null };
}

async function cannon(url: string, count: number, concurrency: number, body: () => object) {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: concurrency,
    amount: count,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(body()) }) }],
  });
  return {
    perSecond: round(count / Math.max(result.duration, 0.001)),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

const figure = (
  troupe: StartFigure['troupe'],
  pool: { ms: number[]; seconds: number; errors: number },
  l: Latency,
) => {
  const baseline = {
    perSecond: round(pool.ms.length / pool.seconds),
    p50: l.p50,
    p99: l.p99,
    errors: pool.errors,
  };
  return {
    troupe,
    baseline,
    ratio: { perSecond: ratio(baseline.perSecond, troupe.perSecond), p99: ratio(troupe.p99, baseline.p99) },
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

  const shows = await Promise.all(
    Array.from({ length: Math.ceil(count / SEAT_LABELS.length) + 1 }, () => createShow(troupe.db)),
  );
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
  return {
    leads: figure(leads, starts, latencyOf(starts.ms)),
    bookings: figure(bookings, updates, latencyOf(updates.ms)),
  };
}
