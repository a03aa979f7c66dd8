import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { type ActivityDeps, createActivities } from '../activities';
import type { Config } from '../config';
import { troupeDataConverter } from '../encryption/data-converter';
import type { Tracing } from '../observability/tracing';
import { llmTaskQueue } from '../workflows/lead/shared';
import { bookingTaskQueue } from '../workflows/task-queues';
import { webhookTaskQueue } from '../workflows/webhooks/shared';
import { activityInterceptors } from './interceptors';

export interface TroupeWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  workflowBundle: WorkerOptions['workflowBundle'];
  tracing: Pick<Tracing, 'spanProcessor' | 'resource'>;
  /**
   * Cap on Groq calls per second for the whole LLM task queue (Temporal enforces it server-side);
   * undefined leaves the queue uncapped. Use `llmRateCap(config)`.
   */
  llmActivitiesPerSecond: number | undefined;
  shutdownGraceSeconds?: number;
  /** Encryption settings (keys) for the data converter every worker must share with the clients. */
  encryption: Pick<Config, 'encryption' | 'dataDir'>;
  /** Slots and cache of each workflow worker (WORKER_* settings); SDK-independent defaults when absent. */
  sizing?: WorkerSizing;
  /** Webhook deliveries in flight at once (WEBHOOK_DELIVERY_SLOTS); default 20. */
  webhookSlots?: number;
  /** Called whenever an activity attempt ends (the progress monitor counts them). */
  onActivityFinished?: () => void;
}

export type WorkerSizing = Pick<
  Config['worker'],
  'activitySlots' | 'localActivitySlots' | 'workflowTaskSlots' | 'maxCachedWorkflows'
>;

/** Troupe's defaults (config/index.ts): bounded slots and cache, not the SDK's memory-derived ones. */
export const DEFAULT_SIZING: WorkerSizing = {
  activitySlots: 50,
  localActivitySlots: 50,
  workflowTaskSlots: 20,
};

/** The LLM worker runs Groq calls only; its pace is the rate cap, so a few slots are plenty. */
export const LLM_ACTIVITY_SLOTS = 10;

/**
 * The LLM task queue's cap protects Groq's quota, so it applies only when Groq is configured: without
 * a key the analysis is the offline scorer, which has no quota and must not be throttled.
 */
export const llmRateCap = (config: Pick<Config, 'groq' | 'llmActivitiesPerSecond'>): number | undefined =>
  config.groq.apiKey ? config.llmActivitiesPerSecond : undefined;

/** Settings every Troupe worker shares: the connection, the (encrypting) data converter, shutdown. */
function commonOptions(
  options: Pick<
    TroupeWorkerOptions,
    'connection' | 'namespace' | 'encryption' | 'shutdownGraceSeconds' | 'onActivityFinished'
  >,
) {
  const grace = options.shutdownGraceSeconds ?? 25;
  return {
    connection: options.connection,
    namespace: options.namespace,
    interceptors: { activity: activityInterceptors(options.onActivityFinished) },
    // Encrypted payloads and failures; the bundle carries the same failure converter (workflow-bundle.ts).
    dataConverter: troupeDataConverter(options.encryption),
    // On SIGTERM, running activities get the grace time to finish before they are cancelled (and
    // retried elsewhere by Temporal); after a few seconds more the worker stops regardless.
    shutdownGraceTime: `${grace} seconds`,
    shutdownForceTime: `${grace + 5} seconds`,
  } satisfies Partial<WorkerOptions>;
}

/**
 * A worker with Troupe's shared settings for other workflows and activities — the bench's bare-Temporal
 * baseline runs on it, so both sides pay the same data converter.
 */
export function createPlainWorker(
  options: Pick<TroupeWorkerOptions, 'connection' | 'namespace' | 'encryption' | 'shutdownGraceSeconds'> &
    Pick<
      WorkerOptions,
      'taskQueue' | 'workflowBundle' | 'workflowsPath' | 'activities' | 'maxTaskQueueActivitiesPerSecond'
    >,
): Promise<Worker> {
  const { connection, namespace, encryption, shutdownGraceSeconds, ...rest } = options;
  return Worker.create({
    ...commonOptions({ connection, namespace, encryption, shutdownGraceSeconds }),
    ...rest,
  });
}

/**
 * The one place Troupe's workers are assembled, for `npm run worker` and the tests alike: the main
 * worker (leads; all workflows and activities, so runs started on it before the bookings queue existed
 * still finish), the bookings worker (bookings and payments, which people wait on: their own queue and
 * slots, so a backlog of leads never delays them), the webhooks worker (deliveries, their own queue and
 * slots) and the LLM worker (Groq calls only, rate-capped).
 */
export async function createWorkers(options: TroupeWorkerOptions): Promise<Worker[]> {
  const activities = createActivities(options.deps);
  const common = commonOptions(options);
  const sizing = options.sizing ?? DEFAULT_SIZING;
  // Workflow spans leave the sandbox through this sink.
  const sinks = { exporter: makeWorkflowExporter(options.tracing.spanProcessor, options.tracing.resource) };
  const workflowWorker = (taskQueue: string) =>
    Worker.create({
      ...common,
      taskQueue,
      workflowBundle: options.workflowBundle,
      activities,
      // Bounded, so one process's work and memory are too (README, "Pools and slots").
      maxConcurrentActivityTaskExecutions: sizing.activitySlots,
      maxConcurrentLocalActivityExecutions: sizing.localActivitySlots,
      maxConcurrentWorkflowTaskExecutions: sizing.workflowTaskSlots,
      ...(sizing.maxCachedWorkflows !== undefined && { maxCachedWorkflows: sizing.maxCachedWorkflows }),
      sinks,
    });
  return Promise.all([
    workflowWorker(options.taskQueue),
    workflowWorker(bookingTaskQueue(options.taskQueue)),
    // Webhook deliveries: their own queue and slots, so a slow or dead receiver holds up only them.
    Worker.create({
      ...common,
      taskQueue: webhookTaskQueue(options.taskQueue),
      workflowBundle: options.workflowBundle,
      activities: { attemptWebhookDelivery: activities.attemptWebhookDelivery },
      maxConcurrentActivityTaskExecutions: options.webhookSlots ?? 20,
      maxConcurrentWorkflowTaskExecutions: 10,
      sinks,
    }),
    Worker.create({
      ...common,
      taskQueue: llmTaskQueue(options.taskQueue),
      activities: { analyseLead: activities.analyseLead },
      ...(options.llmActivitiesPerSecond !== undefined && {
        maxTaskQueueActivitiesPerSecond: options.llmActivitiesPerSecond,
      }),
      maxConcurrentActivityTaskExecutions: LLM_ACTIVITY_SLOTS,
    }),
  ]);
}

/** The workflow workers (main and bookings; not the LLM one) with their slot limits, for the progress monitor. */
export function watchedWorkers(workers: Worker[], sizing: WorkerSizing = DEFAULT_SIZING) {
  return workers.slice(0, 2).map((worker, i) => ({
    name: i === 0 ? 'main' : 'bookings',
    worker,
    activitySlots: sizing.activitySlots,
    workflowTaskSlots: sizing.workflowTaskSlots,
  }));
}

/** Runs workers until they are shut down (SIGINT/SIGTERM via the SDK runtime, or `shutdown()`). */
export async function runWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.run()));
}
