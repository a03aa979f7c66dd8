/** Where a response's headers can be read from: fetch's `Headers`, or anything with the same `get`. */
export interface HeaderSource {
  get(name: string): string | null | undefined;
}

/**
 * How long a service asked us to wait before retrying, in milliseconds, from Groq's `retry-after-ms`
 * or the standard `Retry-After` (delta-seconds or an HTTP date). Undefined when the service gave no
 * usable hint: no header, zero, negative, unparsable, or a date already past. Undefined means "use
 * the retry policy's own backoff" — never "retry at once", which Temporal reads as no retry at all.
 */
export function retryAfterMs(headers: HeaderSource | null | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = positive(Number(headers.get('retry-after-ms')?.trim() || Number.NaN));
  if (ms !== undefined) return Math.ceil(ms);
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^[+-]?\d+(\.\d+)?$/.test(value)) {
    const seconds = positive(Number(value));
    return seconds === undefined ? undefined : Math.ceil(seconds * 1000);
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : positive(date - now);
}

/** The hint, capped so that a hostile or mistaken header cannot park a workflow for a day. */
export function cappedDelay(hintMs: number | undefined, maximumMs: number): number | undefined {
  return hintMs === undefined ? undefined : Math.min(hintMs, maximumMs);
}

function positive(n: number): number | undefined {
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
