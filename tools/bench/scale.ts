// (5) Scale: the concurrent end-to-end run with 1, 2 and 4 Troupe workers on the task queue (the
// extra workers run in this process, each with its own connection).
import { NativeConnection, type Worker } from '@temporalio/worker';
import { setupTracing } from '../../observability/tracing';
import { activityDependencies } from '../../worker/dependencies';
import { createWorkers, llmRateCap, runWorkers } from '../../worker/worker';
import { endToEnd } from './end-to-end';
import type { BenchWorld } from './env';
import { quiet } from './env';

export async function scale(world: BenchWorld, counts: number[], leads: number, concurrency: number) {
  const { config } = world.troupe;
  const extra: { workers: Worker[]; running: Promise<void>; connection: NativeConnection }[] = [];
  const results: { workers: number; run: Awaited<ReturnType<typeof endToEnd>> }[] = [];
  try {
    for (const count of counts) {
      while (extra.length + 1 < count) {
        const connection = await NativeConnection.connect({ address: world.temporalAddress });
        const workers = await createWorkers({
          connection,
          namespace: config.temporal.namespace,
          taskQueue: config.temporal.taskQueue,
          deps: activityDependencies(config, world.troupe.db, quiet),
          workflowBundle: { codePath: world.bundlePath },
          tracing: setupTracing({}, 'troupe-bench'),
          llmActivitiesPerSecond: llmRateCap(config),
          shutdownGraceSeconds: 1,
          encryption: config,
        });
        extra.push({ workers, running: runWorkers(workers), connection });
      }
      results.push({ workers: count, run: await endToEnd(world, leads, concurrency) });
    }
  } finally {
    for (const e of extra) for (const w of e.workers) w.shutdown();
    for (const e of extra) {
      await e.running;
      await e.connection.close();
    }
  }
  return results;
}
