// `npm run codec`: the codec endpoints alone, for a deployment that keeps the keys away from the API
// (e.g. next to the Web UI). Same routes, credentials and CORS as on the API's port.
import express from 'express';
import { runMain } from '../../config/entrypoint';
import { problemHandler } from '../http/errors';
import { codecRouter } from './router';

runMain('codec', async (config, logger) => {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use('/codec', codecRouter(config, logger));
  app.use(problemHandler({ answerTimeoutMs: config.workflowAnswerTimeoutMs }));
  const server = app.listen(config.codec.port, () => {
    logger.info({ url: `http://localhost:${config.codec.port}/codec` }, 'Codec server listening');
  });
  server.on('error', (err) => {
    logger.fatal({ err }, 'Codec server could not listen');
    process.exit(1);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
});
