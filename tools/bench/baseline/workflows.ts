// Bare-Temporal baselines for the bench: the engine's own cost for the shapes Troupe runs.
import {
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { llmTaskQueue } from '../../../workflows/lead/shared';
import type { baselineActivities } from './activities';
import { benchReserveUpdate } from './shared';

type Noop = typeof baselineActivities;

/** The smallest workflow: started and done. */
export async function minimalWorkflow(): Promise<void> {}

/** The booking's start shape: started with an update that answers at once, then waits. */
export async function reserveShapedWorkflow(): Promise<void> {
  let reserved = false;
  setHandler(benchReserveUpdate, () => {
    reserved = true;
    return 'reserved';
  });
  await condition(() => reserved);
}

/**
 * The lead's exact shape with no-op activities: a local status write, three research activities in
 * parallel, the analysis on the LLM task queue, a status write, the report, a status write.
 */
export async function leadShapedWorkflow(): Promise<void> {
  const main = proxyActivities<Noop>({ startToCloseTimeout: '1 minute' });
  const local = proxyLocalActivities<Noop>({ startToCloseTimeout: '15 seconds' });
  const llm = proxyActivities<Noop>({
    startToCloseTimeout: '1 minute',
    taskQueue: llmTaskQueue(workflowInfo().taskQueue),
  });
  await local.noop();
  await Promise.all([main.noop(), main.noop(), main.noop()]);
  await llm.noop();
  await local.noop();
  await main.noop();
  await local.noop();
}
