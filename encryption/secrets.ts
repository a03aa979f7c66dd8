// Secrets Troupe must read back (a webhook endpoint's signing secret: signing needs it in clear), kept
// at rest with the payload encryption keys: AES-256-GCM, the key id bound to the ciphertext, so key
// rotation works as for payloads (the first key seals, every key opens). With PAYLOAD_ENCRYPTION=off
// they are stored in clear, marked as such.
import { randomBytes } from 'node:crypto';
import { AesGcmPayloadCodec, KEY_ID_METADATA } from './codec';
import { type EncryptionSettings, payloadKeys } from './data-converter';

const SEALED = 'sealed:';
const PLAIN = 'plain:';

export interface SecretSealer {
  seal(secret: string): string;
  open(stored: string): string;
}

export function secretSealer(settings: EncryptionSettings): SecretSealer {
  const source = payloadKeys(settings);
  const codec = source ? new AesGcmPayloadCodec(source.keys) : undefined;
  return {
    seal(secret) {
      if (!codec) return `${PLAIN}${secret}`;
      const sealed = codec.encrypt({ metadata: {}, data: Buffer.from(secret, 'utf8') });
      const keyId = Buffer.from(sealed.metadata?.[KEY_ID_METADATA] ?? []).toString('utf8');
      return `${SEALED}${keyId}:${Buffer.from(sealed.data ?? []).toString('base64')}`;
    },
    open(stored) {
      if (stored.startsWith(PLAIN)) return stored.slice(PLAIN.length);
      if (!stored.startsWith(SEALED)) throw new Error('not a stored secret');
      if (!codec) throw new Error('a sealed secret needs PAYLOAD_ENCRYPTION_KEYS (or the local key) to open');
      const rest = stored.slice(SEALED.length);
      const colon = rest.lastIndexOf(':');
      const keyId = rest.slice(0, colon);
      const opened = codec.decrypt({
        metadata: {
          encoding: Buffer.from('binary/encrypted'),
          [KEY_ID_METADATA]: Buffer.from(keyId),
        },
        data: Buffer.from(rest.slice(colon + 1), 'base64'),
      });
      return Buffer.from(opened.data ?? []).toString('utf8');
    },
  };
}

/** A new webhook signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes, base64. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
