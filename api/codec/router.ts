import express, { type RequestHandler } from 'express';
import { z } from 'zod';
import type { Config } from '../../config';
import { payloadCodecs } from '../../encryption/data-converter';
import type { Logger } from '../../observability/logger';
import { apiKeyAuth } from '../http/auth';
import { Problem, validationProblem } from '../http/problem';

// Temporal's remote codec protocol: Payloads as proto3 JSON, i.e. metadata values and data in base64.
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const payloadsBody = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).nullish(), data: base64.nullish() }))
    .max(10_000),
});
type JsonPayload = z.infer<typeof payloadsBody>['payloads'][number];

const fromJson = (p: JsonPayload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  ),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

/**
 * CORS for the Web UI only: a request from a listed origin gets the headers (and its preflight a 204);
 * a request from any other origin is refused with 403 and no CORS headers, so no browser page
 * elsewhere can use a signed-in user's session to decrypt. Requests without an Origin (the CLI,
 * scripts) are not browser requests and pass on to authentication.
 */
export function codecCors(allowed: string[]): RequestHandler {
  const origins = new Set(allowed);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    if (!origins.has(origin)) {
      return next(new Problem(403, `Origin ${origin} may not call the codec (CODEC_CORS_ORIGINS)`));
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Namespace, X-API-Key');
      res.setHeader('Access-Control-Max-Age', '600');
      return res.status(204).end();
    }
    next();
  };
}

const isLoopback = (address?: string) =>
  address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';

/**
 * Decrypting is reading personal data, so the codec needs a credential: an API key (API_KEYS) or
 * CODEC_TOKEN, as `Authorization: Bearer …` (what the Web UI forwards) or `X-API-Key`. With neither
 * configured, a laptop (NODE_ENV other than production) serves loopback callers only, and production
 * refuses everyone.
 */
export function codecAuth(config: Config, logger: Logger): RequestHandler {
  const keys = [...(config.http.apiKeys ?? []), ...(config.codec.token ? [config.codec.token] : [])];
  if (keys.length > 0) return apiKeyAuth(keys, logger);
  const production = config.env === 'production';
  logger.warn(
    production
      ? 'Neither CODEC_TOKEN nor API_KEYS is set: the codec endpoints refuse every request'
      : 'Neither CODEC_TOKEN nor API_KEYS is set: the codec endpoints answer loopback callers only',
  );
  return (req, _res, next) => {
    if (!production && isLoopback(req.socket.remoteAddress)) return next();
    next(
      new Problem(
        401,
        'The codec needs a credential: set CODEC_TOKEN or API_KEYS and send it as a Bearer token',
        {
          headers: { 'WWW-Authenticate': 'Bearer realm="troupe-codec"' },
        },
      ),
    );
  };
}

/** `POST /codec/encode` and `POST /codec/decode` (mounted at /codec by the API and by `npm run codec`). */
export function codecRouter(config: Config, logger: Logger): express.Router {
  const codecs = payloadCodecs(config);
  const router = express.Router();
  router.use(codecCors(config.codec.corsOrigins), codecAuth(config, logger));
  router.use(express.json({ limit: '4mb' }));
  for (const direction of ['encode', 'decode'] as const) {
    router.post(`/${direction}`, async (req, res, next) => {
      try {
        const namespace = req.headers['x-namespace'];
        // The CLI sends an empty X-Namespace; only a named other namespace is refused.
        if (typeof namespace === 'string' && namespace !== '' && namespace !== config.temporal.namespace) {
          throw new Problem(
            403,
            `This codec serves namespace ${config.temporal.namespace}, not ${namespace} (X-Namespace)`,
          );
        }
        const parsed = payloadsBody.safeParse(req.body);
        if (!parsed.success) {
          throw validationProblem(
            parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message })),
          );
        }
        let payloads = parsed.data.payloads.map(fromJson);
        // Encode in the order of the codecs, decode in reverse (as the SDK does).
        const chain = direction === 'encode' ? codecs : [...codecs].reverse();
        for (const codec of chain) payloads = (await codec[direction](payloads)) as typeof payloads;
        res.json({ payloads: payloads.map(toJson) });
      } catch (err) {
        if (err instanceof Problem) return next(err);
        // A payload this codec cannot decrypt (altered, or a key not configured): the caller's problem.
        next(new Problem(422, `Could not ${direction} the payloads: ${(err as Error).message}`));
      }
    });
  }
  return router;
}
