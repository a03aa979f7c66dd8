// `npm run worker`: runs Troupe's workflows and activities until SIGINT/SIGTERM, then drains.
import { NativeConnection } from '@temporalio/worker';
import { connectClient, connectionOptions, ensureSearchAttributes, retryUntil } from '../clients/temporal';
import { temporalAddress } from '../config';
import { runMain } from '../config/entrypoint';
import { openDatabase } from '../db/migrate';
import { describePayloadKeys } from '../encryption/data-converter';
import { assertMetricsPortFree } from '../observability/metrics-port';
import { installTemporalRuntime } from '../observability/temporal-runtime';
import { setupTracing } from '../observability/tracing';
import { activityDependencies } from './dependencies';
import { startEventRelay } from './event-relay';
import { workerHealth } from './health';
import { startHoldRelay } from './hold-relay';
import { createWorkers, llmRateCap, runWorkers } from './worker';
import { workflowCode } from './workflow-bundle';

runMain('worker', async (config, logger) => {
  const tracing = setupTracing(config, 'troupe-worker');
  await assertMetricsPortFree(config.metricsPort);
  installTemporalRuntime(logger, config.metricsPort);
  const db = await openDatabase(config);
  const keys = describePayloadKeys(config);
  logger[keys.level]({ keyIds: keys.ids }, keys.message);

  const client = await connectClient(config, logger);
  await ensureSearchAttributes(client, logger);

  const connection = await retryUntil(60_000, logger, `Temporal at ${temporalAddress(config)}`, () =>
    NativeConnection.connect(connectionOptions(config)),
  );
  const deps = activityDependencies(config, db, logger);
  const health = workerHealth({
    db,
    taskQueue: config.temporal.taskQueue,
    sizing: config.worker,
    stallSeconds: config.worker.stallSeconds,
    logger,
  });
  const workers = await createWorkers({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps,
    workflowBundle: (await workflowCode(logger, config.temporal.workflowBundlePath)).workflowBundle,
    tracing,
    llmActivitiesPerSecond: llmRateCap(config),
    shutdownGraceSeconds: config.shutdownGraceSeconds,
    encryption: config,
    sizing: config.worker,
    webhookSlots: config.webhooks.deliverySlots,
    onActivityFinished: health.onActivityFinished,
  });
  const healthUrl = await health.start(workers, config.worker.healthPort);
  if (config.worker.exitOnStall) {
    health.monitor.onStall((reason) => {
      logger.fatal(
        { reason },
        'Worker is not making progress; exiting so it is restarted (WORKER_EXIT_ON_STALL)',
      );
      setTimeout(() => process.exit(70), 200);
    });
  }
  logger.info(
    {
      taskQueue: config.temporal.taskQueue,
      namespace: config.temporal.namespace,
      metrics: `http://localhost:${config.metricsPort}/metrics`,
      health: `${healthUrl}/healthz`,
    },
    'Worker polling',
  );
  // Seat holds whose API died before starting their workflow: started or released here.
  const relay = startHoldRelay({
    db,
    temporal: client,
    taskQueue: config.temporal.taskQueue,
    holdSeconds: config.bookings.holdSeconds,
    logger,
  });
  // Gateway webhook events the API stored but could not hand to their payment: forwarded here.
  const eventRelay = startEventRelay({ db, temporal: client, logger });
  // The SDK runtime turns SIGINT/SIGTERM into shutdown(): no new tasks; running ones get the grace time.
  await runWorkers(workers);
  // Whatever is left (the relay, connections, the pool) gets a few seconds, never more.
  const exitAnyway = setTimeout(() => {
    logger.warn('Shutdown steps after the drain took over 5 s; exiting');
    process.exit(0);
  }, 5_000);
  exitAnyway.unref();
  await Promise.all([relay.stop(), eventRelay.stop()]);
  await health.stop();
  await client.connection.close();
  logger.info('Worker drained and stopped');
  await connection.close();
  deps.mailer.close();
  await deps.close();
  await db.destroy();
  await tracing.shutdown();
  clearTimeout(exitAnyway);
});
