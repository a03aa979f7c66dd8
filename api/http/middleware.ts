import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type RequestHandler } from 'express';
import { Problem } from './problem';

export const BODY_LIMIT = '100kb';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a caller's X-Request-Id when it is sane, else makes one; echoed on the response. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

declare module 'http' {
  interface IncomingMessage {
    /** The body's bytes as they arrived (JSON routes): what a webhook's signature is checked against. */
    rawBody?: Buffer;
  }
}

const hasBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/** JSON routes take JSON only: 415 for any other content type, then a parser capped at 100 kB. */
export function jsonBody(
  options: { skip?: (method: string, path: string) => boolean } = {},
): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    // Routes that stream their own body (CSV, NDJSON) check its type themselves.
    if (options.skip?.(req.method, req.path)) return next();
    if (hasBody(req) && !req.is(['application/json', 'application/*+json'])) {
      return next(
        new Problem(
          415,
          `Send the body as application/json (got ${req.headers['content-type'] ?? 'no content type'})`,
        ),
      );
    }
    next();
  };
  const parseJson = express.json({
    limit: BODY_LIMIT,
    type: ['application/json', 'application/*+json'],
    verify: (req, _res, buffer) => {
      req.rawBody = buffer;
    },
  });
  return [
    requireJson,
    (req, res, next) => (options.skip?.(req.method, req.path) ? next() : parseJson(req, res, next)),
  ];
}
