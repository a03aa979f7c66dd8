// Runs one of Troupe's activity functions as a step of a BullMQ job: the activity code reads its
// context (heartbeats, attempt, logger) from @temporalio/activity, so the step gets one. The peer thus
// makes exactly Troupe's side effects with Troupe's own code; only the engine around them differs.
import { asyncLocalStorage, Context, type Info } from '@temporalio/activity';
import { noopMetricMeter } from '@temporalio/common';

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export function inActivity<T>(
  step: { jobId: string; name: string; attempt: number; signal: AbortSignal },
  work: () => Promise<T>,
): Promise<T> {
  const info = {
    activityId: step.name,
    activityType: step.name,
    attempt: step.attempt,
    isLocal: false,
    workflowExecution: { workflowId: step.jobId, runId: step.jobId },
    heartbeatDetails: undefined,
    taskQueue: 'bullmq',
    inWorkflow: false,
  } as unknown as Info;
  // BullMQ renews the job's lock on its own; a heartbeat has nothing to report to.
  const context = new (Context as unknown as new (...args: unknown[]) => Context)(
    info,
    new Promise<never>(() => undefined),
    step.signal,
    () => undefined,
    undefined,
    quietLogger,
    noopMetricMeter,
    {},
  );
  return asyncLocalStorage.run(context, work);
}
