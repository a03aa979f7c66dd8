/** A non-2xx answer from a service we call over HTTP, with what retry decisions need. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly service: string,
    readonly status: number,
    message: string,
    /** How long the service asked us to wait (see `retryAfterMs`), when it said so usably. */
    readonly retryAfterMs?: number,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/** Reads a JSON body when there is one; services sometimes answer errors in plain text or HTML. */
export async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 500);
  }
}

export function describeBody(body: unknown): string {
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    const detail = record.detail ?? record.error ?? record.message;
    if (typeof detail === 'string') return detail;
    if (detail && typeof detail === 'object') return JSON.stringify(detail).slice(0, 300);
  }
  return typeof body === 'string' ? body : '';
}
