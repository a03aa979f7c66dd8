import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';

/**
 * Why something a workflow awaited failed, as the type and message worth recording: the activity's
 * ApplicationFailure type (InvalidCredentials, RateLimited, HoldLost…), or Timeout when its retries ran
 * out of time.
 */
export function failureReason(err: unknown): { type: string; message: string } {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'Error', message: cause.message };
  if (cause instanceof TimeoutFailure) {
    return { type: 'Timeout', message: `gave up after retries (${cause.timeoutType} timeout)` };
  }
  return { type: 'Error', message: cause instanceof Error ? cause.message : String(cause) };
}
