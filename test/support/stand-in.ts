import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  at: number;
}

export interface Scripted {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Hold the answer this long (to simulate a slow service or one that never answers in time). */
  delayMs?: number;
}

type Handler = (request: Recorded) => Scripted;

/**
 * A local HTTP server standing in for a third-party API: it records every request and answers
 * from a queue of scripted responses, then from its default handler (the service's normal reply).
 */
export class StandIn {
  readonly requests: Recorded[] = [];
  private readonly queue: (Scripted | Handler)[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly handle: Handler) {}

  /** The next requests get these answers, in order. */
  enqueue(...responses: (Scripted | Handler)[]): this {
    this.queue.push(...responses);
    return this;
  }

  /** Drops the scripted answers not yet given: the service answers normally again. */
  clearQueue(): this {
    this.queue.length = 0;
    return this;
  }

  requestsTo(path: string): Recorded[] {
    return this.requests.filter((r) => r.path === path);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // Keep the raw text; the handler decides.
        }
        const recorded = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body,
          at: Date.now(),
        };
        this.requests.push(recorded);
        const next = this.queue.shift();
        const answer = typeof next === 'function' ? next(recorded) : (next ?? this.handle(recorded));
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
          res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
        };
        // unref: a held answer must not keep the test process alive after stop().
        if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
        else send();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
