import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** One AES-256 key and the id written beside every payload it encrypts. */
export interface PayloadKey {
  id: string;
  key: Buffer;
}

export const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Parses `id:base64key[,id:base64key…]`. The first key encrypts; every key decrypts, so a rotation
 * puts the new key first and keeps the old ones until no history needs them. Errors never echo keys.
 */
export function parsePayloadKeys(value: string): PayloadKey[] {
  const entries = value
    .split(/[,\s]+/)
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('must list at least one id:base64key entry');
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const at = `entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) throw new Error(`${at} must be id:base64key (no ":" found)`);
    const id = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1);
    if (!KEY_ID.test(id)) throw new Error(`${at}: key id must be 1-64 of A-Z a-z 0-9 . _ -`);
    if (seen.has(id)) throw new Error(`${at}: key id "${id}" is listed twice`);
    seen.add(id);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new Error(`${at} ("${id}"): key is not base64`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== KEY_BYTES) {
      throw new Error(`${at} ("${id}"): key must be ${KEY_BYTES} bytes (AES-256), got ${key.length}`);
    }
    return { id, key };
  });
}

export const formatPayloadKey = (key: PayloadKey) => `${key.id}:${key.key.toString('base64')}`;

/** A new random key, e.g. for `npm start` on a laptop or a rotation (`npm run codec -- --new-key`). */
export function newPayloadKey(
  id = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`,
): PayloadKey {
  return { id, key: randomBytes(KEY_BYTES) };
}

export const localKeyFile = (dataDir: string) => path.resolve(dataDir, 'payload-encryption-keys');

/**
 * The development key kept in the (git-ignored) data directory: read when present, otherwise made
 * once. `created` says whether this call made it, so the caller can say so. Creation is exclusive,
 * so processes starting together end up with the same key.
 */
export function localPayloadKeys(dataDir: string): { keys: PayloadKey[]; file: string; created: boolean } {
  const file = localKeyFile(dataDir);
  let created = false;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${formatPayloadKey(newPayloadKey('local-dev'))}\n`, { flag: 'wx', mode: 0o600 });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  try {
    return { keys: parsePayloadKeys(readFileSync(file, 'utf8')), file, created };
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message} (delete it to make a new local key)`);
  }
}
