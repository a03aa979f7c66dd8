import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../config';
import { createDb } from '../../db';
import { setupTracing } from '../../observability/tracing';
import { activityDependencies } from '../../worker/dependencies';
import { createWorkers, llmRateCap, runWorkers } from '../../worker/worker';
import { llmTaskQueue } from '../../workflows/lead/shared';
import { silentLogger, testEnv } from '../support/harness';

// The LLM task queue's cap is Groq's quota: the offline scorer (no GROQ_API_KEY) must run uncapped.
describe('the LLM task queue is rate-capped only when Groq is configured', () => {
  const llmQueueCap = async (env: Record<string, string>) => {
    const config = loadConfig(testEnv({ GROQ_MAX_REQUESTS_PER_SECOND: '2', ...env }));
    const db = createDb(config.mysql.url);
    const connection = await NativeConnection.connect({ address: config.temporal.address });
    try {
      const workers = await createWorkers({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        deps: activityDependencies(config, db, silentLogger),
        workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE ?? '' },
        tracing: setupTracing({}, 'troupe-test'),
        llmActivitiesPerSecond: llmRateCap(config),
        shutdownGraceSeconds: 1,
        encryption: config,
      });
      const running = runWorkers(workers);
      for (const w of workers) w.shutdown();
      await running;
      const llm = workers.find((w) => w.options.taskQueue === llmTaskQueue(config.temporal.taskQueue));
      return llm?.options.maxTaskQueueActivitiesPerSecond;
    } finally {
      await connection.close();
      await db.destroy();
    }
  };

  it('with GROQ_API_KEY the LLM worker sets the queue cap to GROQ_MAX_REQUESTS_PER_SECOND', async () => {
    expect(await llmQueueCap({ GROQ_API_KEY: 'gsk_test' })).toBe(2);
  });

  it('without it (the offline scorer) the queue is left uncapped', async () => {
    expect(await llmQueueCap({})).toBeUndefined();
  });
});
