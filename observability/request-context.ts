import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler } from 'express';

const store = new AsyncLocalStorage<{ requestId: string }>();

/** Makes the request id available to everything the request's handling calls, however deep. */
export const requestContext: RequestHandler = (req, _res, next) =>
  store.run({ requestId: String(req.id) }, next);

export const currentRequestId = (): string | undefined => store.getStore()?.requestId;
