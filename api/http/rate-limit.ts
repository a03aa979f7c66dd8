import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { RedisClientType } from 'redis';
import { Problem } from './problem';

/**
 * Per API key (per client IP when the API is open), over a one-minute window, with the IETF
 * `RateLimit`/`RateLimit-Policy` headers and `Retry-After`. The counts live in memory, or in Redis
 * when REDIS_URL is set so that every API process shares them.
 */
export function rateLimiter(options: { perMinute: number; redis?: RedisClientType }): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: options.perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) =>
      req.apiKeyId ? `key:${req.apiKeyId}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`,
    // A Redis outage should not take the API down with it: requests pass, and the error is logged.
    passOnStoreError: true,
    ...(options.redis && {
      store: new RedisStore({
        prefix: 'troupe:ratelimit:',
        sendCommand: (...args: string[]) => (options.redis as RedisClientType).sendCommand(args),
      }),
    }),
    handler: (_req, res, next) => {
      const retryAfter = res.getHeader('Retry-After');
      next(
        new Problem(
          429,
          `More than ${options.perMinute} requests a minute; retry after ${retryAfter ?? 60} s`,
          {
            headers: { 'Retry-After': String(retryAfter ?? 60) },
          },
        ),
      );
    },
  });
}
