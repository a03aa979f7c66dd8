import { createHmac, timingSafeEqual } from 'node:crypto';
import { Problem, problemType } from '../http/problem';

/** The header the payment gateway signs its webhooks with: `t=<unix seconds>,v1=<hex>[,v1=<hex>]`. */
export const SIGNATURE_HEADER = 'sandbox-signature';

const refused = (detail: string) =>
  new Problem(401, detail, { type: problemType('webhook-signature'), title: 'Webhook signature refused' });

/**
 * Checks a webhook's signature over the raw bytes of its body, as the gateway made it: HMAC-SHA256 of
 * `<timestamp>.<body>` with a shared secret. Every configured secret is tried (a rotation has the old
 * and the new one), each `v1` in the header is compared in constant time, and a timestamp outside the
 * tolerance is refused (a replayed old delivery). Throws a 401 problem naming what is wrong.
 */
export function verifySignature(
  rawBody: Buffer | undefined,
  header: string,
  secrets: string[],
  toleranceSeconds: number,
  now = Date.now(),
): void {
  if (!rawBody) throw refused('The webhook has no body to verify');
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamp = Number(parts.find(([k]) => k === 't')?.[1]);
  const signatures = parts
    .filter(([k, v]) => k === 'v1' && v && /^[0-9a-f]{64}$/.test(v))
    .map(([, v]) => Buffer.from(v as string, 'hex'));
  if (!Number.isInteger(timestamp) || signatures.length === 0) {
    throw refused('The Sandbox-Signature header must be t=<unix seconds>,v1=<hex HMAC-SHA256>');
  }
  const age = Math.abs(now / 1000 - timestamp);
  if (age > toleranceSeconds) {
    throw refused(
      `The webhook's timestamp is ${Math.round(age)} s away from now (more than ${toleranceSeconds} s)`,
    );
  }
  const signed = Buffer.concat([Buffer.from(`${timestamp}.`), rawBody]);
  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(signed).digest();
    for (const candidate of signatures) matched = timingSafeEqual(expected, candidate) || matched;
  }
  if (!matched) throw refused('No signature matches the body with a known secret');
}
