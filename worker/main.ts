// `npm run worker`: runs Troupe's workflows and activities until SIGINT/SIGTERM, then drains.
import { NativeConnection } from '@temporalio/worker';
import { connectClient, connectionOptions, ensureSearchAttributes, retryUntil } from '../clients/temporal';
import { temporalAddress } from '../config';
import { runMain } from '../config/entrypoint';
import { openDatabase } from '../db/migrate';
import { installTemporalRuntime } from '../observability/temporal-runtime';
import { activityDependencies } from './dependencies';
import { createWorker } from './worker';
import { workflowCode } from './workflow-bundle';

runMain('worker', async (config, logger) => {
  installTemporalRuntime(logger);
  const db = await openDatabase(config);

  const client = await connectClient(config, logger);
  await ensureSearchAttributes(client, logger);
  await client.connection.close();

  const connection = await retryUntil(60_000, logger, `Temporal at ${temporalAddress(config)}`, () =>
    NativeConnection.connect(connectionOptions(config)),
  );
  const deps = activityDependencies(config, db, logger);
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps,
    workflowBundle: (await workflowCode(logger, config.temporal.workflowBundlePath)).workflowBundle,
    shutdownGraceSeconds: config.shutdownGraceSeconds,
  });
  logger.info(
    { taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace },
    'Worker polling',
  );
  // The SDK runtime turns SIGINT/SIGTERM into worker.shutdown(): no new tasks, running ones finish.
  await worker.run();
  logger.info('Worker drained and stopped');
  await connection.close();
  deps.mailer.close();
  await db.destroy();
});
