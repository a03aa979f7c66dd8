import express from 'express';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { httpMetrics } from '../observability/http-metrics';
import { requestContext } from '../observability/request-context';
import { requestSpans } from '../observability/tracing';
import { bookingRoutes } from './bookings/routes';
import { codecRouter } from './codec/router';
import type { ApiDeps } from './deps';
import { healthRoutes } from './health';
import { apiKeyAuth } from './http/auth';
import { problemHandler, unmatchedRoute } from './http/errors';
import { jsonBody, requestId } from './http/middleware';
import { rateLimiter } from './http/rate-limit';
import { mountRoute, type RouteSpec, streamedBodyRoute } from './http/route';
import { leadImportRoutes } from './lead-imports/routes';
import { leadRoutes } from './leads/routes';
import { openApiDocument } from './openapi';
import { paymentRoutes } from './payments/routes';
import { showRoutes } from './shows/routes';
import { EventHub } from './streams/hub';
import { streamRoutes } from './streams/routes';
import { registerWebhookMetrics } from './webhook-endpoints/metrics';
import { webhookEndpointRoutes } from './webhook-endpoints/routes';
import { GATEWAY_WEBHOOK_PATH, webhookRoutes } from './webhooks/routes';

export function apiRoutes(deps: ApiDeps, hub: EventHub = eventHub(deps)): RouteSpec[] {
  return [
    ...healthRoutes(deps),
    ...leadRoutes(deps),
    ...leadImportRoutes(deps),
    ...showRoutes(deps),
    ...bookingRoutes(deps),
    ...paymentRoutes(deps),
    ...webhookRoutes(deps),
    ...webhookEndpointRoutes(deps),
    ...streamRoutes(deps, hub),
  ];
}

/** The process's one fan-out of the change log to its live streams (SSE_* settings). */
const eventHub = ({ db, config, logger }: ApiDeps) =>
  new EventHub(db, {
    maxStreams: config.sse.maxStreams,
    pollMs: config.sse.pollMs,
    heartbeatMs: config.sse.heartbeatMs,
    logger,
  });

/** `TRUST_PROXY` as Express understands it: a hop count, true/false, or addresses/subnets. */
function trustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/**
 * The Express app, in order: request id, span, log line and metrics for every request; the public
 * operations routes (health, metrics, docs); the codec endpoints; then for /api the key check and rate
 * limit; JSON bodies;
 * the routes; and problem+json for everything that goes wrong.
 */
export function createApp(deps: ApiDeps): express.Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', trustProxy(config.http.trustProxy));

  const metrics = httpMetrics();
  registerWebhookMetrics(metrics.registry, deps.db);
  app.use(
    pinoHttp({
      logger,
      genReqId: requestId,
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
    }),
  );
  app.use(requestContext, requestSpans(), metrics.middleware);

  const hub = eventHub(deps);
  // api/main.ts ends the streams on shutdown (clients resume elsewhere with Last-Event-ID).
  app.locals.eventHub = hub;
  const routes = apiRoutes(deps, hub);
  const document = openApiDocument(routes);
  app.get('/metrics', metrics.endpoint);
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'Troupe API' }));

  // The Web UI's remote codec (Temporal's protocol): its own CORS, credentials and body limit.
  app.use('/codec', codecRouter(config, logger));
  // The gateway's webhooks are authenticated by their signature, not an API key, and not rate-limited
  // (the gateway retries what is refused, so a limit would only add load).
  const notForWebhooks =
    (handler: express.RequestHandler): express.RequestHandler =>
    (req, res, next) =>
      req.method === 'POST' && req.path === GATEWAY_WEBHOOK_PATH.replace(/^\/api/, '')
        ? next()
        : handler(req, res, next);
  app.use(
    '/api',
    notForWebhooks(apiKeyAuth(config.http.apiKeys, logger)),
    notForWebhooks(rateLimiter({ perMinute: config.http.rateLimitPerMinute, redis: deps.redis })),
  );
  app.use(jsonBody({ skip: streamedBodyRoute(routes) }));
  const router = express.Router();
  for (const spec of routes) mountRoute(router, spec, { checkResponses: config.env !== 'production' });
  app.use(router);

  app.use(
    unmatchedRoute([
      ...routes,
      { method: 'get', path: '/metrics' },
      { method: 'get', path: '/openapi.json' },
    ]),
  );
  app.use(problemHandler({ answerTimeoutMs: config.workflowAnswerTimeoutMs }));
  return app;
}
