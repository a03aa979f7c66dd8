// (4) Worker start-up: from creating the workers to their first workflow task done, with the prebuilt
// bundle and with bundling on the fly.
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../config';
import { setupTracing } from '../../observability/tracing';
import { testEnv } from '../../test/support/harness';
import { activityDependencies } from '../../worker/dependencies';
import { createWorkers, runWorkers } from '../../worker/worker';
import { bundleOptions, quietWebpack } from '../../worker/workflow-bundle';
import type { BenchWorld } from './env';
import { quiet } from './env';
import { round } from './stats';

async function timeToFirstTask(world: BenchWorld, prebuilt: boolean): Promise<number> {
  const config = loadConfig(testEnv({ ...world.env, TEMPORAL_TASK_QUEUE: `bench-startup-${randomUUID()}` }));
  const taskQueue = config.temporal.taskQueue;
  // A lead that does not exist: its workflow's first task runs, its first write is refused, it ends.
  const handle = await world.troupe.client.workflow.start('leadWorkflow', {
    taskQueue,
    workflowId: `bench-startup-${randomUUID()}`,
    args: [
      { id: 'ld_000000000000000000000000', name: 'Nobody', email: 'nobody@troupe.test', company: 'None' },
    ],
  });
  const started = performance.now();
  const connection = await NativeConnection.connect({ address: world.temporalAddress });
  const workflowBundle = prebuilt
    ? { codePath: world.bundlePath }
    : { code: (await bundleWorkflowCode({ ...bundleOptions(), logger: quietWebpack(quiet) })).code };
  const workers = await createWorkers({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    deps: activityDependencies(config, world.troupe.db, quiet),
    workflowBundle,
    tracing: setupTracing({}, 'troupe-bench'),
    llmActivitiesPerSecond: undefined,
    shutdownGraceSeconds: 1,
    encryption: config,
  });
  const running = runWorkers(workers);
  await handle.result().catch(() => undefined);
  const ms = performance.now() - started;
  for (const w of workers) w.shutdown();
  await running;
  await connection.close();
  return round(ms);
}

export async function workerStartup(world: BenchWorld) {
  const prebuiltMs = await timeToFirstTask(world, true);
  const onTheFlyMs = await timeToFirstTask(world, false);
  return { prebuiltMs, onTheFlyMs };
}
