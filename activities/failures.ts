import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { HttpError } from '../clients/http-error';
import { cappedDelay } from '../clients/retry-after';

/** The cap on a service's Retry-After when the activity's retry policy is unknown: Temporal's 100 × 1 s. */
const DEFAULT_MAXIMUM_INTERVAL_MS = 100_000;

/**
 * Turns an HTTP status from a service we call into Temporal's retry decision:
 * 401/403 and other 4xx are the caller's fault and never retried; 408, 409 (a concurrent
 * request with the same idempotency key), 429 and 5xx are retried with backoff, and a 429's
 * usable Retry-After (see `retryAfterMs`) becomes the next retry delay, capped at the retry policy's
 * maximum interval.
 */
export function failureForStatus(
  service: string,
  status: number,
  detail: string,
  retryAfterMs?: number,
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
      nextRetryDelay: cappedDelay(retryAfterMs, maximumIntervalMs()),
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
  if (err instanceof HttpError) return failureForStatus(service, err.status, err.message, err.retryAfterMs);
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.retryable(`${service} could not be reached: ${message}`, 'ServiceUnavailable');
}

/** The running activity's retry-policy maximum interval, as the server sent it (the SDK gives ms). */
function maximumIntervalMs(): number {
  let maximum: unknown;
  try {
    maximum = Context.current().info.retryPolicy?.maximumInterval;
  } catch {
    // Not inside an activity (a unit test): use the default.
  }
  return typeof maximum === 'number' && maximum > 0 ? maximum : DEFAULT_MAXIMUM_INTERVAL_MS;
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

/**
 * Names the running activity attempt (`<workflow id>/<activity id>#<attempt>`), for claims that must
 * tell one attempt from another; a random name outside an activity.
 */
export function attemptToken(): string {
  try {
    const { workflowExecution, activityId, attempt } = Context.current().info;
    return `${workflowExecution?.workflowId ?? 'standalone'}/${activityId}#${attempt}`.slice(0, 255);
  } catch {
    return `no-activity/${randomUUID()}`;
  }
}
