import http from 'node:http';
import https from 'node:https';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';

/** What one POST to a receiver came to; `statusCode` is null when no answer arrived. */
export interface PostOutcome {
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** The first kilobyte of the answer, for the delivery log. */
  responseBody: string | null;
}

const BODY_KEPT = 1024;

export interface WebhookHttpOptions {
  timeoutMs: number;
  /** Plain http and private, loopback, link-local and reserved addresses (WEBHOOK_ALLOW_PRIVATE). */
  allowPrivate: boolean;
}

/**
 * POSTs webhooks, safely: the address is checked when the socket connects (request-filtering-agent),
 * after DNS, so a name that resolves (or rebinds) to an internal address is refused; redirects are
 * never followed; the whole exchange is bounded by `timeoutMs`; no more than 1 kB of the answer is read.
 */
export function webhookPoster(options: WebhookHttpOptions) {
  const filter = { allowPrivateIPAddress: options.allowPrivate, keepAlive: true, maxSockets: 50 };
  const agents = {
    http: new RequestFilteringHttpAgent(filter),
    https: new RequestFilteringHttpsAgent(filter),
  };

  return function post(url: string, headers: Record<string, string>, body: string): Promise<PostOutcome> {
    const target = new URL(url);
    const started = performance.now();
    const outcome = (
      statusCode: number | null,
      error: string | null,
      responseBody: string | null = null,
    ) => ({
      statusCode,
      latencyMs: Math.round(performance.now() - started),
      error,
      responseBody,
    });
    if (target.protocol !== 'https:' && !(target.protocol === 'http:' && options.allowPrivate))
      return Promise.resolve(
        outcome(null, `refused: only https URLs are called (WEBHOOK_ALLOW_PRIVATE is off)`),
      );

    return new Promise((resolve) => {
      let settled = false;
      const settle = (value: PostOutcome) => {
        if (settled) return;
        settled = true;
        resolve(value);
      };
      const secure = target.protocol === 'https:';
      const request = (secure ? https : http).request(
        target,
        {
          method: 'POST',
          agent: secure ? agents.https : agents.http,
          headers: {
            ...headers,
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
            'user-agent': 'Troupe-Webhooks/1.0',
          },
          signal: AbortSignal.timeout(options.timeoutMs),
        },
        (response) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          const done = () => {
            const text = Buffer.concat(chunks).subarray(0, BODY_KEPT).toString('utf8');
            const status = response.statusCode ?? 0;
            const location = response.headers.location;
            const error =
              status >= 300 && status < 400
                ? `redirects are not followed${location ? ` (Location: ${location.slice(0, 200)})` : ''}`
                : status >= 200 && status < 300
                  ? null
                  : `answered ${status}`;
            settle(outcome(status, error, text || null));
          };
          response.on('data', (chunk: Buffer) => {
            if (kept < BODY_KEPT) chunks.push(chunk);
            kept += chunk.length;
            if (kept >= BODY_KEPT) {
              done();
              response.destroy();
            }
          });
          response.on('end', done);
          response.on('error', done);
        },
      );
      request.on('error', (err: Error & { code?: string }) => {
        const reason =
          err.name === 'AbortError' || err.name === 'TimeoutError'
            ? `no answer within ${options.timeoutMs} ms`
            : err.message.includes('is not allowed')
              ? `refused: ${err.message} (WEBHOOK_ALLOW_PRIVATE is off)`
              : `${err.code ?? err.name}: ${err.message}`;
        settle(outcome(null, reason));
      });
      request.end(body);
    });
  };
}
export type WebhookPoster = ReturnType<typeof webhookPoster>;
