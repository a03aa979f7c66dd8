import express from 'express';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { bookingRoutes } from './bookings/routes';
import type { ApiDeps } from './deps';
import { healthRoutes } from './health';
import { problemHandler, unmatchedRoute } from './http/errors';
import { jsonBody, requestId } from './http/middleware';
import { mountRoute, type RouteSpec } from './http/route';
import { leadRoutes } from './leads/routes';
import { openApiDocument } from './openapi';
import { paymentRoutes } from './payments/routes';
import { showRoutes } from './shows/routes';

export function apiRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    ...healthRoutes(deps),
    ...leadRoutes(deps),
    ...showRoutes(deps),
    ...bookingRoutes(deps),
    ...paymentRoutes(deps),
  ];
}

/** The Express app: request ids and logs, JSON bodies, the routes, their docs, then problem+json errors. */
export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: requestId,
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );

  const routes = apiRoutes(deps);
  const document = openApiDocument(routes);
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'Troupe API' }));

  app.use(jsonBody());
  const router = express.Router();
  for (const spec of routes) mountRoute(router, spec, { checkResponses: deps.config.env !== 'production' });
  app.use(router);

  app.use(unmatchedRoute(routes));
  app.use(problemHandler());
  return app;
}
