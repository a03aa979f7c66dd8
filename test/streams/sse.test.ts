import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { EventHub, MAX_PENDING_BYTES, SseStream } from '../../api/streams/hub';
import { SandboxGateway } from '../support/gateway';
import { http, newLead, silentLogger, startTroupe, type Troupe } from '../support/harness';
import { createShow } from '../support/inventory';
import { SmtpSink } from '../support/smtp-sink';

interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** Reads a text/event-stream until it closes (or `timeoutMs`), parsing each event. */
async function readStream(
  url: string,
  headers: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<{ status: number; type: string | null; events: SseEvent[] }> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const events: SseEvent[] = [];
  if (!response.body) return { status: response.status, type: null, events };
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split('\n')
          .filter((line) => line && !line.startsWith(':'))
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trimStart()]),
      );
      if (fields.event)
        events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data ?? '{}') });
      end = buffer.indexOf('\n\n');
    }
  }
  return { status: response.status, type: response.headers.get('content-type'), events };
}

const statuses = (events: SseEvent[]) =>
  events.map((e) => (e.event === 'end' ? 'end' : String(e.data.status)));

describe('live streams (server-sent events)', () => {
  let gateway: SandboxGateway;
  let smtp: SmtpSink;
  let troupe: Troupe;

  beforeAll(async () => {
    [gateway, smtp] = await Promise.all([new SandboxGateway().start(), new SmtpSink().start()]);
    troupe = await startTroupe({
      env: { PAYMENT_GATEWAY_URL: gateway.url, SMTP_URL: smtp.url, SSE_POLL_MS: '100' },
    });
  });
  afterAll(async () => {
    await troupe?.stop();
    await Promise.all([gateway?.stop(), smtp?.stop()]);
  });

  it('streams every state change of a lead in order, then ends; Last-Event-ID resumes without gaps or repeats', async () => {
    const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead() });
    expect(created.status).toBe(202);
    const url = `${troupe.url}/api/v1/leads/${created.body.id}/events`;
    const { status, type, events } = await readStream(url);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/event-stream/);
    expect(events[0]?.event).toBe('snapshot');
    expect(events[0]?.data).toMatchObject({ id: created.body.id });
    const seen = statuses(events);
    // Whatever the snapshot caught, the rest follows in order, each once, and the stream ends.
    const order = ['NEW', 'ENRICHING', 'ENRICHED', 'COMPLETED', 'end'];
    expect(order.slice(order.indexOf(seen[0] as string))).toEqual(seen);
    const ids = events.slice(1).map((e) => Number(e.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);

    // Every change is in the log; resuming after the first one replays the rest, once each.
    const all = await readStream(url, { 'last-event-id': '0' });
    expect(statuses(all.events)).toEqual(['ENRICHING', 'ENRICHED', 'COMPLETED', 'end']);
    const afterFirst = await readStream(url, { 'last-event-id': String(all.events[0]?.id) });
    expect(statuses(afterFirst.events)).toEqual(['ENRICHED', 'COMPLETED', 'end']);
    expect(afterFirst.events.map((e) => e.id)).toEqual(all.events.slice(1).map((e) => e.id));
  });

  it('streams a booking to CONFIRMED', async () => {
    const showId = await createShow(troupe.db, { priceMinor: 1000 });
    const held = await http(`${troupe.url}/api/v1/bookings`, {
      body: { showId, seatIds: ['A1'], customer: { name: 'Ada', email: 'ada@troupe.test' } },
    });
    expect(held.status).toBe(201);
    const reading = readStream(`${troupe.url}/api/v1/bookings/${held.body.id}/events`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const confirmed = await http(`${troupe.url}/api/v1/bookings/${held.body.id}/confirm`, {
      body: { paymentMethod: 'pm_card_visa' },
    });
    expect(confirmed.status).toBe(200);
    const { events } = await reading;
    expect(statuses(events)).toEqual(['RESERVED', 'CONFIRMED', 'end']);
    expect(events[0]?.event).toBe('snapshot');
  });

  it('answers problems for unknown ids and bad Last-Event-IDs', async () => {
    const missing = await http(`${troupe.url}/api/v1/leads/ld_000000000000000000000000/events`);
    expect(missing.status).toBe(404);
    const bad = await http(`${troupe.url}/api/v1/leads/ld_000000000000000000000000/events`, {
      headers: { 'last-event-id': 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('header.last-event-id');
  });

  it('a client that never reads costs bounded memory: its stream is closed once its queue is full', async () => {
    const hub = new EventHub(troupe.db, {
      maxStreams: 10,
      pollMs: 1_000,
      heartbeatMs: 60_000,
      logger: silentLogger,
    });
    let stream: SseStream | undefined;
    const app = express();
    app.get('/s', (_req, res) => {
      res.status(200).set('Content-Type', 'text/event-stream');
      res.flushHeaders();
      stream = new SseStream(
        res,
        'lead:x',
        true,
        () => false,
        () => hub.remove(stream as SseStream),
      );
      hub.add(stream);
    });
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    // A client that connects and then never reads a byte.
    const req = request({ port, path: '/s', host: '127.0.0.1' });
    req.on('response', (res) => res.pause());
    req.end();
    while (!stream) await new Promise((resolve) => setTimeout(resolve, 20));
    const payload = 'x'.repeat(1_000);
    let sent = 0;
    while (!stream.closed && sent < 100_000) {
      stream.send({ id: String(++sent), event: 'status', data: { payload } });
      if (sent % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // Closed after the socket buffers and MAX_PENDING_BYTES filled: far fewer than 100 MB were held.
    expect(stream.closed).toBe(true);
    expect(sent).toBeLessThan(20_000);
    expect(hub.open).toBe(0);
    expect(MAX_PENDING_BYTES).toBe(64 * 1024);
    req.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
});
