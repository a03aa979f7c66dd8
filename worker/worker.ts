import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { type ActivityDeps, createActivities } from '../activities';

export interface TroupeWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  workflowBundle: WorkerOptions['workflowBundle'];
  shutdownGraceSeconds?: number;
}

/** The one place a Troupe worker is assembled, for `npm run worker` and the tests alike. */
export function createWorker(options: TroupeWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle,
    activities: createActivities(options.deps),
    // On SIGTERM, running activities get this long to finish before they are cancelled
    // (and retried by Temporal on another worker).
    shutdownGraceTime: `${options.shutdownGraceSeconds ?? 25} seconds`,
  });
}
