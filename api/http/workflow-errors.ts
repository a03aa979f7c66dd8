import {
  type Client,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { Problem, problemType } from './problem';

export interface UpdateFailure {
  /** The ApplicationFailure type the workflow (handler or validator) chose, e.g. PaymentDeclined. */
  type: string;
  message: string;
  details: unknown[];
}

/** The business reason an update failed or was rejected; undefined for anything else (rethrow it). */
export function updateFailure(err: unknown): UpdateFailure | undefined {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    return { type: err.cause.type ?? 'Error', message: err.cause.message, details: err.cause.details ?? [] };
  }
  return undefined;
}

/** The workflow has closed (or never existed): the API answers from MySQL instead. */
export const isWorkflowClosed = (err: unknown) =>
  err instanceof WorkflowNotFoundError || err instanceof WorkflowExecutionAlreadyStartedError;

/**
 * The API's deadline on waiting for a workflow (WORKFLOW_ANSWER_TIMEOUT_MS): every start, update and
 * update-with-start runs inside it, so a stuck worker makes requests fail with a 504, not hang.
 */
export function withinAnswerTime<T>(temporal: Client, ms: number, work: () => Promise<T>): Promise<T> {
  return temporal.withDeadline(Date.now() + ms, work);
}

/** The workflow did not answer within the deadline (it may still act on the request later). */
export const isAnswerTimeout = (err: unknown) =>
  err instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
  (err as { code?: unknown } | undefined)?.code === 4;

/** 504 for a workflow that did not answer in time; the request may still take effect, so say how to retry. */
export function answerTimeoutProblem(ms: number, what = 'The workflow'): Problem {
  return new Problem(
    504,
    `${what} did not answer within ${Math.round(ms / 1000)} s; it may still act on this request. ` +
      'Read the resource, or retry the same request (with the same Idempotency-Key)',
    {
      type: problemType('workflow-timeout'),
      title: 'Workflow did not answer in time',
      headers: { 'Retry-After': '5' },
    },
  );
}
