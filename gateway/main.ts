// `npm run gateway`: the sandbox payment gateway as its own process (npm start runs it unless
// PAYMENT_GATEWAY_URL points at another gateway).
import { runMain } from '../config/entrypoint';
import { createDb, ensureDatabase } from '../db';
import { createGatewayApp } from './app';
import { migrateGateway } from './migrate';
import type { GatewayDatabase } from './schema';
import { webhookDelivery } from './webhooks';

runMain('gateway', async (config, logger) => {
  await ensureDatabase(config.mysql.url);
  const db = createDb<GatewayDatabase>(config.mysql.url);
  await migrateGateway(db);
  const { sandbox } = config.payments;
  const webhooks = webhookDelivery(
    db,
    { urls: sandbox.webhookUrls, secrets: sandbox.webhookSecrets, mode: sandbox.webhookMode },
    logger,
  );
  webhooks.start();
  const app = createGatewayApp({
    db,
    apiKey: config.payments.gatewayApiKey,
    logger,
    webhooks,
    pendingSeconds: sandbox.pendingSeconds,
  });
  const server = app.listen(config.payments.sandboxPort, () => {
    logger.info(
      {
        url: `http://localhost:${config.payments.sandboxPort}`,
        webhooks: sandbox.webhookUrls,
        webhookMode: sandbox.webhookMode,
      },
      'Sandbox payment gateway listening',
    );
  });
  const stop = () =>
    server.close(() => void webhooks.stop().then(() => db.destroy().then(() => process.exit(0))));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
});
