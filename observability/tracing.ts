import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { RequestHandler } from 'express';

export interface Tracing {
  spanProcessor: SpanProcessor;
  resource: Resource;
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry tracing, exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set and off
 * otherwise. Registers the global tracer provider (and W3C propagation), so the API's request spans,
 * the Temporal client, workflow and activity interceptors all land in one trace.
 */
/** What tracing needs of the configuration (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME). */
export interface TracingSettings {
  otel?: { endpoint: string; serviceName?: string };
}

export function setupTracing(config: TracingSettings, serviceName: string): Tracing {
  const resource = new Resource({ 'service.name': config.otel?.serviceName ?? serviceName });
  if (!config.otel) {
    return { spanProcessor: new NoopSpanProcessor(), resource, shutdown: async () => {} };
  }
  const exporter = new OTLPTraceExporter({ url: `${config.otel.endpoint.replace(/\/$/, '')}/v1/traces` });
  const spanProcessor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return { spanProcessor, resource, shutdown: () => provider.shutdown() };
}

/** A server span per HTTP request (continuing a caller's `traceparent`), named by route template. */
export function requestSpans(): RequestHandler {
  const tracer = trace.getTracer('troupe-api');
  return (req, res, next) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      `${req.method}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } },
      parent,
    );
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : undefined;
      if (route) span.updateName(`${req.method} ${route}`);
      span.setAttributes({
        'http.route': route ?? 'unmatched',
        'http.response.status_code': res.statusCode,
        'troupe.request_id': String(req.id),
      });
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
