import { temporal as proto } from '@temporalio/proto';
import { sql } from 'kysely';
import { z } from 'zod';
import { llmTaskQueue } from '../workflows/lead/shared';
import { bookingTaskQueue } from '../workflows/task-queues';
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

export function healthRoutes({ db, temporal, config, logger }: ApiDeps) {
  const { namespace } = config.temporal;

  async function pollers(taskQueue: string, type: 'workflow' | 'activity'): Promise<boolean> {
    const described = await temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
      temporal.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue, kind: proto.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType:
          type === 'workflow'
            ? proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
            : proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      }),
    );
    return (described.pollers ?? []).some(
      (p) => Date.now() - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < POLLER_FRESH_MS,
    );
  }

  const checks: Record<string, () => Promise<string>> = {
    mysql: async () => {
      await within(CHECK_TIMEOUT_MS, sql`SELECT 1`.execute(db));
      return 'ok';
    },
    temporal: async () => {
      await temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
        temporal.workflowService.getSystemInfo({}),
      );
      return 'ok';
    },
    // Every task queue needs a live worker: the main one, the bookings one and the rate-capped LLM one.
    worker: async () => {
      const { taskQueue } = config.temporal;
      const queues: [string, 'workflow' | 'activity'][] = [
        [taskQueue, 'workflow'],
        [bookingTaskQueue(taskQueue), 'workflow'],
        [llmTaskQueue(taskQueue), 'activity'],
      ];
      const polled = await Promise.all(queues.map(([queue, type]) => pollers(queue, type)));
      const idle = queues.find((_, i) => !polled[i]);
      return idle ? `no worker is polling task queue "${idle[0]}"` : 'ok';
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
      summary: 'Readiness: Temporal, MySQL and a worker polling the task queue are reachable',
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
