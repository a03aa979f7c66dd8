import ipaddr from 'ipaddr.js';
import { Problem, problemType } from '../http/problem';

/**
 * Refuses, when the endpoint is created or changed, a URL the worker would refuse anyway: plain http
 * and literal private, loopback, link-local or reserved addresses unless WEBHOOK_ALLOW_PRIVATE. The
 * worker checks again at connect time (names can resolve, or rebind, to such addresses).
 */
export function assertCallable(url: string, allowPrivate: boolean): void {
  if (allowPrivate) return;
  const target = new URL(url);
  if (target.protocol !== 'https:') throw refused('body.url', 'must be an https:// URL');
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const literal = ipaddr.isValid(host) ? ipaddr.process(host) : undefined;
  if ((literal && literal.range() !== 'unicast') || host === 'localhost' || host.endsWith('.localhost'))
    throw refused('body.url', 'must not point at a private, loopback, link-local or reserved address');
}

const refused = (field: string, message: string) =>
  new Problem(422, `${field} ${message} (WEBHOOK_ALLOW_PRIVATE is off)`, {
    type: problemType('webhook-url-refused'),
    title: 'Webhook URL refused',
    errors: [{ field, message }],
  });
