import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config';
import { AesGcmPayloadCodec } from './codec';
import { localPayloadKeys, type PayloadKey } from './keys';

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
export function payloadKeys(config: Pick<Config, 'encryption' | 'dataDir'>): PayloadKeySource | undefined {
  const { enabled, keys } = config.encryption;
  if (!enabled) return undefined;
  if (keys) return { keys, from: 'PAYLOAD_ENCRYPTION_KEYS' };
  const local = localPayloadKeys(config.dataDir);
  return { keys: local.keys, from: { file: local.file, created: local.created } };
}

export function payloadCodecs(config: Pick<Config, 'encryption' | 'dataDir'>) {
  const source = payloadKeys(config);
  return source ? [new AesGcmPayloadCodec(source.keys)] : [];
}

/**
 * The data converter of every Troupe client, worker and replayer: JSON payloads encrypted with
 * AES-256-GCM, failure messages and stack traces moved into (encrypted) payloads. The workflow sandbox
 * gets the same failure converter through the bundle (worker/workflow-bundle.ts).
 */
export function troupeDataConverter(config: Pick<Config, 'encryption' | 'dataDir'>): DataConverter {
  return { payloadCodecs: payloadCodecs(config), failureConverterPath: FAILURE_CONVERTER_PATH };
}

export const FAILURE_CONVERTER_PATH = require.resolve('../workflows/failure-converter');
