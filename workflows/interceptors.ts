// Workflow interceptors, bundled with the workflows (see worker/workflow-bundle.ts): OpenTelemetry
// spans for workflow runs and the activities they schedule, and the request id carried from the API.
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import { interceptors as openTelemetry } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors';
import type { WorkflowInterceptors } from '@temporalio/workflow';
import { REQUEST_ID_HEADER } from './request-id';

export const interceptors = (): WorkflowInterceptors => {
  const otel = openTelemetry();
  // The request that last reached this workflow (its start, or an update or signal since).
  let requestId: string | undefined;
  const read = (headers: Headers) => {
    const payload = headers[REQUEST_ID_HEADER];
    if (payload) requestId = defaultPayloadConverter.fromPayload<string>(payload);
  };
  const pass = (headers: Headers): Headers =>
    requestId ? { ...headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) } : headers;

  return {
    inbound: [
      ...(otel.inbound ?? []),
      {
        execute: (input, next) => {
          read(input.headers);
          return next(input);
        },
        handleUpdate: (input, next) => {
          read(input.headers);
          return next(input);
        },
        handleSignal: (input, next) => {
          read(input.headers);
          return next(input);
        },
      },
    ],
    outbound: [
      ...(otel.outbound ?? []),
      {
        scheduleActivity: (input, next) => next({ ...input, headers: pass(input.headers) }),
        startChildWorkflowExecution: (input, next) => next({ ...input, headers: pass(input.headers) }),
        signalWorkflow: (input, next) => next({ ...input, headers: pass(input.headers) }),
        getLogAttributes: (input, next) => next(requestId ? { ...input, requestId } : input),
      },
    ],
    internals: otel.internals,
  };
};
