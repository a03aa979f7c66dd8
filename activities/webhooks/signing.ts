import { Webhook } from 'standardwebhooks';

/**
 * The Standard Webhooks headers for one attempt: the id stays the same on every attempt (receivers
 * dedupe on it), the timestamp is the attempt's, and during a rotation the body is signed with each
 * secret, the signatures space-separated (any one verifies).
 */
export function webhookHeaders(
  secrets: string[],
  message: { id: string; at: Date; body: string },
): Record<string, string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(message.id, message.at, message.body));
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(Math.floor(message.at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
