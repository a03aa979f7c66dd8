// The peer's worker process (`node --import tsx tools/bench/peer/worker.ts`): a BullMQ Worker running
// the lead pipeline with Troupe's activity code and settings (MYSQL_URL, SMTP_URL, GROQ_*, TAVILY_*),
// plus REDIS_URL and PEER_PREFIX. SIGTERM/SIGINT close it gracefully: running jobs finish first.
import { createActivities } from '../../../activities';
import { runMain } from '../../../config/entrypoint';
import { openDatabase } from '../../../db/migrate';
import { activityDependencies } from '../../../worker/dependencies';
import { createPeerWorker } from './pipeline';
import { peerRedis } from './shared';

runMain('peer-worker', async (config, logger) => {
  const db = await openDatabase(config);
  const deps = activityDependencies(config, db, logger);
  // Troupe's activities, built as its worker builds them; the pipeline uses the lead's.
  const activities = createActivities(deps);
  const connection = peerRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const worker = createPeerWorker(activities, {
    connection,
    prefix: process.env.PEER_PREFIX ?? 'troupe-peer',
    // As many jobs in flight as Troupe's activity slots.
    concurrency: config.worker.activitySlots,
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'peer worker error'));
  await worker.waitUntilReady();
  logger.info({ prefix: worker.opts.prefix }, 'Peer worker polling');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 10_000).unref();
    await worker.close();
    await connection.quit().catch(() => undefined);
    deps.mailer.close();
    await db.destroy();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
});
