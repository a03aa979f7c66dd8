import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace } from '@opentelemetry/api';
import { setupTracing, type Tracing } from '../../observability/tracing';
import { eventually, http, newLead, startTroupe, type Troupe } from '../support/harness';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** A local OTLP/HTTP receiver: keeps every span posted to /v1/traces (JSON encoding). */
async function otlpReceiver(): Promise<{ url: string; spans: Span[]; server: Server }> {
  const spans: Span[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as {
          resourceSpans: { scopeSpans: { spans: Span[] }[] }[];
        };
        for (const r of body.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

describe('traces', () => {
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let tracing: Tracing;
  let troupe: Troupe;

  beforeAll(async () => {
    receiver = await otlpReceiver();
    tracing = setupTracing({ otel: { endpoint: receiver.url } }, 'troupe-test');
    troupe = await startTroupe({ tracing });
  });
  afterAll(async () => {
    await troupe?.stop();
    await tracing?.shutdown();
    // The tracer provider is process-global; leave none behind for other test files in this process.
    trace.disable();
    context.disable();
    propagation.disable();
    receiver?.server.close();
  });

  it('link the HTTP request span to the workflow and its activity spans, over OTLP', async () => {
    const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead() });
    await eventually(async () =>
      expect((await http(`${troupe.url}/api/v1/leads/${created.body.id}`)).body.status).toBe('COMPLETED'),
    );
    await troupe.client.workflow.getHandle(created.body.workflowId).result();

    const find = (name: string, parent?: Span) =>
      receiver.spans.find(
        (s) =>
          s.name === name && (!parent || (s.parentSpanId === parent.spanId && s.traceId === parent.traceId)),
      );
    const chain = await eventually(
      async () => {
        await tracing.spanProcessor.forceFlush();
        const request = find('POST /api/v1/leads');
        const start = find('StartWorkflow:leadWorkflow', request);
        const run = find('RunWorkflow:leadWorkflow', start);
        const startActivity = find('StartActivity:researchLead', run);
        const runActivity = find('RunActivity:researchLead', startActivity);
        expect([request, start, run, startActivity, runActivity].every(Boolean)).toBe(true);
        return [request, start, run, startActivity, runActivity] as Span[];
      },
      15_000,
      500,
    );
    expect(new Set(chain.map((s) => s.traceId)).size).toBe(1);
  });
});
