import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What the receiver answers one request with; `delayMs` holds the answer back. */
export interface Answer {
  status: number;
  delayMs?: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * A real HTTP receiver for outbound webhooks: it records every request and answers each path from a
 * script (`script(path, [500, 200])`: 500 first, then 200 from then on), 200 by default.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly scripts = new Map<string, Answer[]>();
  private failures: Answer[] = [];
  private server?: Server;
  url = '';

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        const script = this.scripts.get(path) ?? [];
        const answer = this.failures.shift() ??
          (script.length > 1 ? script.shift() : script[0]) ?? { status: 200 };
        setTimeout(() => {
          if (res.destroyed) return;
          res.writeHead(answer.status, answer.headers).end(answer.body ?? 'ok');
        }, answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  script(path: string, answers: (number | Answer)[]): void {
    this.scripts.set(
      path,
      answers.map((a) => (typeof a === 'number' ? { status: a } : a)),
    );
  }

  /** The next `count` requests, whatever their path, get `status` (an overloaded receiver). */
  failNext(count: number, status = 503): void {
    this.failures.push(...Array.from({ length: count }, () => ({ status, body: 'overloaded' })));
  }

  /** Drops the failures not yet answered. */
  clearFailures(): void {
    this.failures.length = 0;
  }

  at(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
