import { WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { match } from 'path-to-regexp';
import type {} from 'pino-http';
import { Problem } from './problem';
import { expressPath, type RouteSpec } from './route';
import { answerTimeoutProblem } from './workflow-errors';

const PROBLEM_JSON = 'application/problem+json';

/** 405 with `Allow` for a known path and the wrong method; 404 for anything else. */
export function unmatchedRoute(routes: Pick<RouteSpec, 'method' | 'path'>[]): RequestHandler {
  const matchers = routes.map((r) => ({
    method: r.method.toUpperCase(),
    matches: match(expressPath(r.path)),
  }));
  return (req, _res, next) => {
    const allowed = [...new Set(matchers.filter((m) => m.matches(req.path)).map((m) => m.method))];
    if (allowed.length === 0) return next(new Problem(404, `No route matches ${req.method} ${req.path}`));
    if (allowed.includes('GET')) allowed.push('HEAD');
    next(
      new Problem(405, `${req.method} is not allowed on ${req.path}; use ${allowed.join(', ')}`, {
        headers: { Allow: allowed.join(', ') },
      }),
    );
  };
}

// body-parser's error types, mapped to what the client did wrong.
const BODY_ERRORS: Record<string, [number, string]> = {
  'entity.parse.failed': [400, 'The body is not valid JSON'],
  'entity.too.large': [413, 'The body is larger than the 100 kB limit'],
  'encoding.unsupported': [415, 'The body uses an unsupported content encoding'],
  'charset.unsupported': [415, 'The body uses an unsupported charset; send UTF-8'],
  'request.aborted': [400, 'The request was aborted while its body was read'],
  'request.size.invalid': [400, 'The body is shorter than its Content-Length'],
  'stream.encoding.set': [400, 'The body could not be read'],
};

/**
 * Renders every error as RFC 9457 problem+json. Expected failures arrive as Problems; anything else
 * is our fault: logged in full, answered with a generic 500 that leaks no stack, SQL or host name.
 */
export function problemHandler(options: { answerTimeoutMs: number }): ErrorRequestHandler {
  const timeoutMs = options.answerTimeoutMs;
  return (err, req, res, _next) => {
    let problem: Problem;
    const bodyError = typeof err?.type === 'string' ? BODY_ERRORS[err.type] : undefined;
    if (err instanceof Problem) {
      problem = err;
    } else if (bodyError) {
      problem = new Problem(bodyError[0], bodyError[1]);
    } else if (err instanceof URIError) {
      problem = new Problem(400, 'The URL is not valid percent-encoding');
    } else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      // Express and its parsers mark client errors with a status; show their message only if they say it is safe.
      problem = new Problem(
        err.status,
        err.expose ? String(err.message) : 'The request could not be understood',
      );
    } else if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      req.log?.warn({ err }, 'A workflow did not answer in time');
      problem = answerTimeoutProblem(timeoutMs);
    } else if (isBusy(err)) {
      req.log?.warn({ err }, 'Out of MySQL connections');
      problem = new Problem(503, 'Troupe is busy (no database connection free in time); try again shortly', {
        headers: { 'Retry-After': '2' },
      });
    } else if (isUnavailable(err)) {
      req.log?.error({ err }, 'Dependency unavailable');
      problem = new Problem(503, 'A service Troupe depends on is unavailable; try again shortly', {
        headers: { 'Retry-After': '5' },
      });
    } else {
      req.log?.error({ err }, 'Unhandled error');
      problem = new Problem(500, 'An unexpected error occurred; quote the request id when reporting it');
    }
    if (res.headersSent) return;
    if (problem.options.headers) res.set(problem.options.headers);
    res
      .status(problem.status)
      .type(PROBLEM_JSON)
      .send(JSON.stringify(problem.body(req.originalUrl.split('?')[0] ?? '/', req.id as string | undefined)));
  };
}

/** Whether `err`, or an error in its `cause` chain, carries one of `codes`. */
function hasCode(err: unknown, codes: readonly (string | number)[]): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if ((typeof e.code === 'string' || typeof e.code === 'number') && codes.includes(e.code)) return true;
  }
  return false;
}

// Every pooled connection busy past MYSQL_ACQUIRE_TIMEOUT_MS, or MySQL's own connection or lock-wait
// limits: a burst, not a fault, and the request wrote nothing; the client can retry.
const BUSY_CODES = [
  'POOL_ACQUIRE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_LOCK_WAIT_TIMEOUT',
];
const isBusy = (err: unknown) => hasCode(err, BUSY_CODES);

// Temporal or MySQL not reachable: the client can retry, so say 503 rather than 500. gRPC UNAVAILABLE
// (14) and DEADLINE_EXCEEDED (4) come from the Temporal client.
const UNAVAILABLE_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  14,
  4,
];
const isUnavailable = (err: unknown) => hasCode(err, UNAVAILABLE_CODES);
