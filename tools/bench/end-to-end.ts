// (2) End to end: POST /leads → COMPLETED (the workflow's result), one after another and N at once,
// against a baseline workflow of the lead's exact shape with no-op activities.
import { randomUUID } from 'node:crypto';
import { http, newLead } from '../../test/support/harness';
import type { BenchWorld } from './env';
import { latency, ratio, round, runPool } from './stats';

export async function troupeLead(world: BenchWorld): Promise<void> {
  const created = await http(`${world.troupe.url}/api/v1/leads`, { body: newLead() });
  if (created.status !== 201 && created.status !== 202)
    throw new Error(`POST /leads answered ${created.status}`);
  const state = await world.troupe.client.workflow.getHandle(created.body.workflowId).result();
  if ((state as { status?: string }).status !== 'COMPLETED')
    throw new Error(`lead ended ${JSON.stringify(state)}`);
}

export const baselineLead = (world: BenchWorld) =>
  world.baseline.client.workflow.execute('leadShapedWorkflow', {
    taskQueue: world.baseline.taskQueue,
    workflowId: `lead-shaped-${randomUUID()}`,
  });

/** Leads completed per second and POST→COMPLETED latency at a concurrency, Troupe and baseline. */
export async function endToEnd(world: BenchWorld, count: number, concurrency: number) {
  const troupe = await runPool(count, concurrency, () => troupeLead(world));
  const baseline = await runPool(count, concurrency, () => baselineLead(world));
  const side = (run: typeof troupe) => ({
    perSecond: round(run.ms.length / run.seconds, 2),
    ...latency(run.ms),
    errors: run.errors,
  });
  const t = side(troupe);
  const b = side(baseline);
  return {
    concurrency,
    troupe: t,
    baseline: b,
    ratio: { perSecond: ratio(b.perSecond, t.perSecond), p50: ratio(t.p50, b.p50), p99: ratio(t.p99, b.p99) },
  };
}
