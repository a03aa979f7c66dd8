import { createHash } from 'node:crypto';

/**
 * A stable fingerprint of a request body: same fields, same hash, whatever the key order. What
 * idempotency records store (the API's Idempotency-Key claims, the sandbox gateway's) to tell a retry
 * from a different request under the same key.
 */
export function requestHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex');
}
