import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './codec';
import { localPayloadKeys, type PayloadKey } from './keys';

/** What encryption needs of the configuration (config/ builds it from PAYLOAD_ENCRYPTION*, DATA_DIR). */
export interface EncryptionSettings {
  encryption: { enabled: boolean; keys?: PayloadKey[] };
  /** Where the local development key lives when no keys are configured. */
  dataDir: string;
}

export interface PayloadKeySource {
  keys: PayloadKey[];
  /** Where they came from, for the start-up line: the variable, or the local file (and whether it was just made). */
  from: 'PAYLOAD_ENCRYPTION_KEYS' | { file: string; created: boolean };
}

/**
 * The keys this process encrypts and decrypts with: PAYLOAD_ENCRYPTION_KEYS when set; otherwise (not
 * production, which configuration already refuses) the local key in DATA_DIR, made on first use.
 * Undefined when PAYLOAD_ENCRYPTION=off.
 */
export function payloadKeys(config: EncryptionSettings): PayloadKeySource | undefined {
  const { enabled, keys } = config.encryption;
  if (!enabled) return undefined;
  if (keys) return { keys, from: 'PAYLOAD_ENCRYPTION_KEYS' };
  const local = localPayloadKeys(config.dataDir);
  return { keys: local.keys, from: { file: local.file, created: local.created } };
}

export function payloadCodecs(config: EncryptionSettings) {
  const source = payloadKeys(config);
  return source ? [new AesGcmPayloadCodec(source.keys)] : [];
}

/**
 * The data converter of every Troupe client, worker and replayer: JSON payloads encrypted with
 * AES-256-GCM, failure messages and stack traces moved into (encrypted) payloads. The workflow sandbox
 * gets the same failure converter through the bundle (worker/workflow-bundle.ts).
 */
export function troupeDataConverter(config: EncryptionSettings): DataConverter {
  return { payloadCodecs: payloadCodecs(config), failureConverterPath: FAILURE_CONVERTER_PATH };
}

export const FAILURE_CONVERTER_PATH = require.resolve('../workflows/failure-converter');

/** Says at start-up where this process's payload keys come from (never the keys themselves). */
export function describePayloadKeys(config: EncryptionSettings): {
  level: 'info' | 'warn';
  message: string;
  ids: string[];
} {
  const source = payloadKeys(config);
  if (!source)
    return {
      level: 'warn',
      message: 'Payload encryption is OFF (PAYLOAD_ENCRYPTION=off): Temporal stores payloads in clear',
      ids: [],
    };
  const ids = source.keys.map((k) => k.id);
  if (source.from === 'PAYLOAD_ENCRYPTION_KEYS')
    return { level: 'info', message: 'Payloads encrypted with PAYLOAD_ENCRYPTION_KEYS', ids };
  return {
    level: 'info',
    message: source.from.created
      ? `Generated a local payload encryption key in ${source.from.file} (git-ignored; histories need it to decode, so keep it)`
      : `Payloads encrypted with the local key in ${source.from.file}`,
    ids,
  };
}
