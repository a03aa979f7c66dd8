import { temporal as proto } from '@temporalio/proto';
import { sql } from 'kysely';
import { z } from 'zod';
import { poolStats } from '../db';
import { workerHealthProblem } from '../db/worker-health';
import { llmTaskQueue } from '../workflows/lead/shared';
import { bookingTaskQueue } from '../workflows/task-queues';
import { webhookTaskQueue } from '../workflows/webhooks/shared';
import type { ApiDeps } from './deps';
import { Problem, problemSchema } from './http/problem';
import { route } from './http/route';

const CHECK_TIMEOUT_MS = 2_000;
/** Idle workers re-poll at least every ~70 s (long polls), so anything older means no live worker. */
const POLLER_FRESH_MS = 90_000;

const checksSchema = z.record(z.string(), z.string()).describe('`ok`, or what is wrong with that part');

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const { TaskQueueType } = proto.api.enums.v1;
type QueueKind = 'workflow' | 'activity';

/** Every task queue a Troupe worker polls, by kind: each needs a live, progressing worker. */
function troupeQueues(taskQueue: string): [string, QueueKind][] {
  return [
    [taskQueue, 'workflow'],
    [taskQueue, 'activity'],
    [bookingTaskQueue(taskQueue), 'workflow'],
    [bookingTaskQueue(taskQueue), 'activity'],
    [llmTaskQueue(taskQueue), 'activity'],
    [webhookTaskQueue(taskQueue), 'workflow'],
    [webhookTaskQueue(taskQueue), 'activity'],
  ];
}

export function healthRoutes({ db, temporal, config, logger }: ApiDeps) {
  const { namespace } = config.temporal;
  const stallSeconds = config.worker.stallSeconds;

  /** What is wrong with one task queue, or undefined: no live poller, or a backlog nobody takes. */
  async function queueProblem(taskQueue: string, kind: QueueKind): Promise<string | undefined> {
    const described = await temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
      temporal.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue, kind: proto.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType:
          kind === 'workflow'
            ? TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
            : TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        reportStats: true,
      }),
    );
    const polled = (described.pollers ?? []).some(
      (p) => Date.now() - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < POLLER_FRESH_MS,
    );
    if (!polled) return `no worker is polling task queue "${taskQueue}" (${kind})`;
    // Tasks waiting longer than the stall period while none were handed out in the last 30 s: the
    // workers poll but take nothing (every slot stuck), whatever their own health says.
    const stats = described.stats;
    const backlog = Number(stats?.approximateBacklogCount ?? 0);
    const ageSeconds = Number(stats?.approximateBacklogAge?.seconds ?? 0);
    if (backlog > 0 && ageSeconds >= stallSeconds && !(Number(stats?.tasksDispatchRate ?? 0) > 0)) {
      return `task queue "${taskQueue}" (${kind}): ${backlog} tasks waiting, the oldest ${ageSeconds} s, none dispatched in the last 30 s`;
    }
    return undefined;
  }

  const checks: Record<string, () => Promise<string>> = {
    mysql: async () => {
      // An exhausted pool answers at once, without queueing yet another caller behind it.
      const pool = poolStats(db);
      if (pool && pool.waiting > 0 && pool.oldestWaitMs >= CHECK_TIMEOUT_MS) {
        return `pool exhausted: ${pool.inUse} of ${pool.size} connections in use, ${pool.waiting} waiting`;
      }
      await within(CHECK_TIMEOUT_MS, sql`SELECT 1`.execute(db));
      return 'ok';
    },
    temporal: async () => {
      await temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
        temporal.workflowService.getSystemInfo({}),
      );
      return 'ok';
    },
    // Every task queue needs a worker that polls it and takes its tasks: the main one (lead workflows and
    // activities), the bookings one, and the rate-capped LLM one.
    // And the workers' own word (worker_health): one of them live and current.
    worker: async () => {
      const problems = await Promise.all(
        troupeQueues(config.temporal.taskQueue).map(([queue, kind]) => queueProblem(queue, kind)),
      );
      const reported = await within(CHECK_TIMEOUT_MS, workerHealthProblem(db, config.temporal.taskQueue));
      return problems.find((p) => p !== undefined) ?? reported ?? 'ok';
    },
  };

  return [
    route({
      method: 'get',
      path: '/healthz',
      operationId: 'health',
      summary: 'Liveness: the process is up',
      tags: ['Operations'],
      public: true,
      responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok') }) } },
      handler: async () => ({ status: 200, body: { status: 'ok' } }),
    }),
    route({
      method: 'get',
      path: '/readyz',
      operationId: 'ready',
      summary: 'Readiness: MySQL and Temporal answer, and workers poll every task queue and take its tasks',
      tags: ['Operations'],
      public: true,
      responses: {
        200: {
          description: 'Ready to serve',
          schema: z.object({ status: z.literal('ready'), checks: checksSchema }),
        },
        503: { description: 'A part is down; `checks` names it', schema: problemSchema },
      },
      async handler() {
        const names = Object.keys(checks);
        const results = await Promise.all(
          Object.entries(checks).map(([name, check]) =>
            check().catch((err: Error) => {
              // The detail (addresses, driver messages) goes to the log, never to the caller.
              logger.warn({ err, check: name }, 'Readiness check failed');
              return 'unreachable';
            }),
          ),
        );
        const report = Object.fromEntries(names.map((name, i) => [name, results[i] ?? 'unknown']));
        const failing = names.filter((name) => report[name] !== 'ok');
        if (failing.length > 0) {
          throw new Problem(
            503,
            `Not ready: ${failing.map((name) => `${name} (${report[name]})`).join(', ')}`,
            {
              title: 'Not Ready',
              extensions: { checks: report },
            },
          );
        }
        return { status: 200, body: { status: 'ready', checks: report } };
      },
    }),
  ];
}
