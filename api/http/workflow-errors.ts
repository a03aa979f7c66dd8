import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';

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
