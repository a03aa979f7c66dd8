// The peer's API process (`node --import tsx tools/bench/peer/api.ts`): PORT, MYSQL_URL, REDIS_URL,
// PEER_PREFIX. SIGTERM/SIGINT finish in-flight requests and exit.
import { Queue } from 'bullmq';
import { runMain } from '../../../config/entrypoint';
import { openDatabase } from '../../../db/migrate';
import { peerApp } from './app';
import { PEER_QUEUE, type PeerJob, peerRedis } from './shared';

runMain('peer-api', async (config, logger) => {
  const db = await openDatabase(config);
  const connection = peerRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const queue = new Queue<PeerJob>(PEER_QUEUE, {
    connection,
    prefix: process.env.PEER_PREFIX ?? 'troupe-peer',
  });
  const app = peerApp(db, queue);
  const server = app.listen(config.http.port, () => logger.info('Peer API listening'));
  const stop = () =>
    server.close(async () => {
      await queue.close();
      await connection.quit().catch(() => undefined);
      await db.destroy();
      process.exit(0);
    });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
});
