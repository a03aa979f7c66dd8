import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { HttpError } from '../clients/http-error';

/**
 * Turns an HTTP status from a service we call into Temporal's retry decision:
 * 401/403 and other 4xx are the caller's fault and never retried; 408, 409 (a concurrent
 * request with the same idempotency key), 429 and 5xx are retried with backoff, and a 429's
 * Retry-After becomes the next retry delay.
 */
export function failureForStatus(
  service: string,
  status: number,
  detail: string,
  retryAfter?: string | null,
): ApplicationFailure {
  const message = `${service} answered HTTP ${status}${detail ? `: ${detail}` : ''}`;
  if (status === 401 || status === 403) {
    return ApplicationFailure.nonRetryable(
      `${service} rejected the API key (HTTP ${status})`,
      'InvalidCredentials',
    );
  }
  if (status === 429) {
    return ApplicationFailure.create({
      message,
      type: 'RateLimited',
      nextRetryDelay: parseRetryAfter(retryAfter),
    });
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 409) {
    return ApplicationFailure.nonRetryable(message, 'InvalidRequest');
  }
  return ApplicationFailure.retryable(message, 'ServiceUnavailable');
}

/** Any error from an HTTP client: HttpErrors are classified, the rest (network, timeout) are retryable. */
export function toFailure(service: string, err: unknown): Error {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof HttpError) return failureForStatus(service, err.status, err.message, err.retryAfter);
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.retryable(`${service} could not be reached: ${message}`, 'ServiceUnavailable');
}

/** Retry-After is either delta-seconds or an HTTP date; undefined falls back to the retry policy. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Runs work that may take a while, heartbeating so that a dead worker is noticed within the
 * heartbeat timeout instead of the whole start-to-close timeout. The signal aborts on cancellation.
 */
export async function withHeartbeat<T>(
  work: (signal: AbortSignal) => Promise<T>,
  everyMs = 2_000,
): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), everyMs);
  try {
    return await work(context.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}
