import type { Context } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { REQUEST_ID_HEADER } from '../workflows/request-id';

/** The request id the workflow passed in the activity's headers, on every log line of the activity. */
const requestIdInterceptors: ActivityInterceptorsFactory = (_ctx: Context) => {
  let requestId: string | undefined;
  return {
    inbound: {
      execute(input, next) {
        const payload = input.headers[REQUEST_ID_HEADER];
        if (payload) requestId = defaultPayloadConverter.fromPayload<string>(payload);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes: (input, next) => next(requestId ? { ...input, requestId } : input),
    },
  };
};

/** Tells the progress monitor (worker/progress.ts) each time an activity attempt ends, however it ends. */
const progressInterceptors =
  (onFinished: () => void): ActivityInterceptorsFactory =>
  () => ({
    inbound: {
      execute: (input, next) => next(input).finally(onFinished),
    },
  });

/**
 * Activity interceptors: a span per activity run (a child of the workflow's span), the request id,
 * and (when given) a callback for each finished attempt.
 */
export function activityInterceptors(onFinished?: () => void): ActivityInterceptorsFactory[] {
  return [
    (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
    requestIdInterceptors,
    ...(onFinished ? [progressInterceptors(onFinished)] : []),
  ];
}
