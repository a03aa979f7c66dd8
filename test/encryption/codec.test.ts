import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { ConfigError, loadConfig } from '../../config';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../encryption/codec';
import { type PayloadKey, parsePayloadKeys } from '../../encryption/keys';
import { TEST_PAYLOAD_KEYS, TEST_ROTATED_KEY } from '../support/encryption';

const testKey = parsePayloadKeys(TEST_PAYLOAD_KEYS)[0] as PayloadKey;
const rotatedKey = parsePayloadKeys(TEST_ROTATED_KEY)[0] as PayloadKey;
const lead = { name: 'Grace Hopper', email: 'grace@navy.example', company: 'US Navy' };
const plain = () => defaultPayloadConverter.toPayload(lead) as Payload;
const text = (bytes?: Uint8Array | null) => Buffer.from(bytes ?? []).toString('utf8');
const value = (payload: Payload) => defaultPayloadConverter.fromPayload(payload);
const encrypt = async (codec: AesGcmPayloadCodec, payload = plain()) =>
  codec.encrypt(payload) as { metadata: Record<string, Uint8Array>; data: Uint8Array };

describe('the AES-256-GCM payload codec', () => {
  const codec = new AesGcmPayloadCodec([testKey]);

  it('round-trips a payload, metadata included, and hides both', async () => {
    const encrypted = await encrypt(codec);
    expect(text(encrypted.metadata.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted.metadata[KEY_ID_METADATA])).toBe('test-only-2026');
    const raw = Buffer.from(encrypted.data).toString('latin1');
    expect(raw).not.toMatch(/Grace|navy|json/i);
    const decoded = codec.decrypt(encrypted);
    expect(value(decoded)).toEqual(lead);
    expect(text(decoded.metadata?.encoding)).toBe('json/plain');
  });

  it('uses a fresh nonce for every payload', async () => {
    const a = await encrypt(codec);
    const b = await encrypt(codec);
    expect(Buffer.from(a.data).subarray(0, 12)).not.toEqual(Buffer.from(b.data).subarray(0, 12));
    expect(Buffer.from(a.data)).not.toEqual(Buffer.from(b.data));
  });

  it('refuses a payload altered in any byte', async () => {
    const encrypted = await encrypt(codec);
    for (const at of [0, 20, encrypted.data.length - 1]) {
      const data = Buffer.from(encrypted.data);
      data[at] = (data[at] ?? 0) ^ 1;
      await expect(codec.decode([{ ...encrypted, data }])).rejects.toThrow(/failed authentication/);
    }
  });

  it('refuses a payload whose key id was swapped (the id is authenticated)', async () => {
    const both = new AesGcmPayloadCodec([testKey, { id: 'other', key: testKey.key }]);
    const encrypted = await encrypt(both);
    const swapped = {
      ...encrypted,
      metadata: { ...encrypted.metadata, [KEY_ID_METADATA]: Buffer.from('other') },
    };
    await expect(both.decode([swapped])).rejects.toThrow(/failed authentication/);
  });

  it('names an unknown key id instead of guessing', async () => {
    const encrypted = await encrypt(new AesGcmPayloadCodec([rotatedKey]));
    await expect(codec.decode([encrypted])).rejects.toThrow(
      /key "test-only-rotated", which is not in PAYLOAD_ENCRYPTION_KEYS/,
    );
  });

  it('after a rotation encrypts with the new key and still decrypts what the old one wrote', async () => {
    const old = await encrypt(codec);
    const rotated = new AesGcmPayloadCodec([rotatedKey, testKey]);
    const fresh = await encrypt(rotated);
    expect(text(fresh.metadata[KEY_ID_METADATA])).toBe('test-only-rotated');
    expect((await rotated.decode([old, fresh])).map(value)).toEqual([lead, lead]);
  });

  it('passes payloads that were never encrypted (histories from before encryption) through', async () => {
    expect(value(codec.decrypt(plain()))).toEqual(lead);
  });
});

describe('payload encryption configuration', () => {
  it.each([
    ['nokey', /entry 1 must be id:base64key/],
    ['k1:%%%%', /entry 1 \("k1"\): key is not base64/],
    ['k1:AAAA', /key must be 32 bytes \(AES-256\), got 3/],
    [`${TEST_PAYLOAD_KEYS},${TEST_PAYLOAD_KEYS}`, /listed twice/],
  ])('refuses PAYLOAD_ENCRYPTION_KEYS=%s, naming the variable and never the key', (keys, why) => {
    const attempt = () => loadConfig({ PAYLOAD_ENCRYPTION_KEYS: keys });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/\n {2}PAYLOAD_ENCRYPTION_KEYS: /);
    expect(attempt).toThrow(why);
    expect(attempt).not.toThrow(/pqpvkZMr/);
  });

  it('refuses to start in production without keys, unless encryption is turned off', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /PAYLOAD_ENCRYPTION_KEYS: is required in production/,
    );
    expect(loadConfig({ NODE_ENV: 'production', PAYLOAD_ENCRYPTION: 'off' }).encryption.enabled).toBe(false);
    const config = loadConfig({
      NODE_ENV: 'production',
      PAYLOAD_ENCRYPTION_KEYS: `${TEST_ROTATED_KEY},${TEST_PAYLOAD_KEYS}`,
    });
    expect(config.encryption.keys?.map((k) => k.id)).toEqual(['test-only-rotated', 'test-only-2026']);
  });
});

describe('the local development key', () => {
  it('is made once in DATA_DIR and reused', () => {
    const { mkdtempSync, statSync } = require('node:fs') as typeof import('node:fs');
    const dir = mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'troupe-keys-'));
    const { payloadKeys } =
      require('../../encryption/data-converter') as typeof import('../../encryption/data-converter');
    const config = loadConfig({ DATA_DIR: dir });
    const first = payloadKeys(config);
    const second = payloadKeys(config);
    expect(first?.from).toMatchObject({ created: true });
    expect(second?.from).toMatchObject({ created: false });
    expect(second?.keys[0]?.key).toEqual(first?.keys[0]?.key);
    expect(statSync(`${dir}/payload-encryption-keys`).mode & 0o077).toBe(0);
  });
});
