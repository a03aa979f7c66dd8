import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../observability/logger';
import { Problem } from './problem';

declare module 'http' {
  interface IncomingMessage {
    /** A short, non-secret id of the API key that authenticated the request (for rate limits and logs). */
    apiKeyId?: string;
  }
}

const digest = (key: string) => createHash('sha256').update(key).digest();

function presentedKey(headers: {
  authorization?: string;
  'x-api-key'?: string | string[];
}): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  const header = headers['x-api-key'];
  return bearer ?? (typeof header === 'string' && header ? header : undefined);
}

/**
 * With API_KEYS set, every request needs one of the keys, as `Authorization: Bearer <key>` or
 * `X-API-Key`. Keys are compared as SHA-256 digests in constant time, against every key, so neither
 * the length nor the position of a match shows in the timing. Keys are never logged.
 */
export function apiKeyAuth(keys: string[] | undefined, logger: Logger): RequestHandler {
  if (!keys?.length) {
    logger.warn('API_KEYS is not set: the API is open to anyone who can reach it');
    return (_req, _res, next) => next();
  }
  const known = keys.map(digest);
  return (req, _res, next) => {
    const key = presentedKey(req.headers);
    if (key) {
      const candidate = digest(key);
      let matched = false;
      for (const k of known) matched = timingSafeEqual(k, candidate) || matched;
      if (matched) {
        req.apiKeyId = candidate.toString('hex').slice(0, 12);
        return next();
      }
    }
    next(
      new Problem(
        401,
        key
          ? 'The API key is not valid'
          : 'An API key is required: send Authorization: Bearer <key> or X-API-Key',
        {
          headers: { 'WWW-Authenticate': 'Bearer realm="troupe"' },
        },
      ),
    );
  };
}
