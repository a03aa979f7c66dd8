// `npm run api`: serves the HTTP API until SIGINT/SIGTERM, then finishes in-flight requests and exits.
import { connectRedis } from '../clients/redis';
import { connectClient } from '../clients/temporal';
import { runMain } from '../config/entrypoint';
import { openDatabase } from '../db/migrate';
import { describePayloadKeys } from '../encryption/data-converter';
import { setupTracing } from '../observability/tracing';
import { createApp } from './app';
import type { EventHub } from './streams/hub';

runMain('api', async (config, logger) => {
  const tracing = setupTracing(config, 'troupe-api');
  const db = await openDatabase(config);
  const keys = describePayloadKeys(config);
  logger[keys.level]({ keyIds: keys.ids }, keys.message);
  const temporal = await connectClient(config, logger);
  const redis = config.http.redisUrl ? await connectRedis(config.http.redisUrl, logger) : undefined;
  const app = createApp({ config, db, temporal, logger, redis });

  const server = app.listen(config.http.port, () => {
    logger.info(
      { url: `http://localhost:${config.http.port}`, docs: `http://localhost:${config.http.port}/docs` },
      'API listening',
    );
  });
  server.on('error', (err) => {
    logger.fatal({ err }, 'API could not listen');
    process.exit(1);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'Stopping: no new connections; finishing in-flight requests');
    const force = setTimeout(() => {
      logger.warn('In-flight requests did not finish in time; closing them');
      server.closeAllConnections();
    }, config.shutdownGraceSeconds * 1000).unref();
    server.close(async () => {
      clearTimeout(force);
      await temporal.connection.close();
      await db.destroy();
      await redis?.quit();
      await tracing.shutdown();
      logger.info('API stopped');
      process.exit(0);
    });
    // Keep-alive connections with no request in flight would hold close() open; so would event streams.
    server.closeIdleConnections();
    (app.locals.eventHub as EventHub | undefined)?.closeAll();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
});
