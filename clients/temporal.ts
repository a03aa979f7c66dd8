import { readFileSync } from 'node:fs';
import { Client, Connection, type TLSConfig, type WorkflowClientInterceptor } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { temporal } from '@temporalio/proto';
import { type Config, temporalAddress } from '../config';
import { troupeDataConverter } from '../encryption/data-converter';
import type { Logger } from '../observability/logger';
import { currentRequestId } from '../observability/request-context';
import { BookingStatusAttribute } from '../workflows/booking/shared';
import { LeadStatusAttribute } from '../workflows/lead/shared';
import { LeadImportStatusAttribute } from '../workflows/lead-import/shared';
import { PaymentStatusAttribute } from '../workflows/payment/shared';
import { REQUEST_ID_HEADER } from '../workflows/request-id';

/** Every custom search attribute a Troupe workflow upserts; registered at start-up. */
export const SEARCH_ATTRIBUTES: SearchAttributeKey<SearchAttributeType>[] = [
  LeadStatusAttribute,
  BookingStatusAttribute,
  PaymentStatusAttribute,
  LeadImportStatusAttribute,
];

/** Address, TLS / mTLS and API key from configuration; shared by the client and the worker's native connection. */
export function connectionOptions(config: Config): { address: string; tls?: TLSConfig; apiKey?: string } {
  const { tls, apiKey } = config.temporal;
  const read = (path?: string) => (path ? readFileSync(path) : undefined);
  const crt = read(tls?.certPath);
  const key = read(tls?.keyPath);
  return {
    address: temporalAddress(config),
    ...(apiKey && { apiKey }),
    ...(tls && {
      tls: {
        serverNameOverride: tls.serverName,
        serverRootCACertificate: read(tls.caPath),
        ...(crt && key && { clientCertPair: { crt, key } }),
      },
    }),
  };
}

/** Connects, retrying while the server is still coming up (compose, npm start) for up to `waitMs`. */
export async function connectClient(config: Config, logger: Logger, waitMs = 60_000): Promise<Client> {
  const connection = await retryUntil(waitMs, logger, `Temporal at ${temporalAddress(config)}`, () =>
    Connection.connect({ ...connectionOptions(config), connectTimeout: 5_000 }),
  );
  return troupeClient(connection, config);
}

/**
 * A Client on an open connection with everything every Troupe client needs: the encrypting data
 * converter (encryption/) and the tracing and request-id interceptors. Build clients only here or
 * through `connectClient`, or payloads go to Temporal in clear.
 */
export function troupeClient(connection: Connection, config: Config): Client {
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    interceptors: clientInterceptors(),
    dataConverter: troupeDataConverter(config),
  });
}

const withRequestId = (headers: Headers, requestId: string): Headers => ({
  ...headers,
  [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId),
});

/**
 * Puts the current HTTP request id in the header of every start, update and signal (and in the memo of
 * a workflow it starts, shown in the Web UI), so the workflow and its activities log it.
 */
const requestIdInterceptor: WorkflowClientInterceptor = {
  startWithDetails(input, next) {
    const id = currentRequestId();
    if (!id) return next(input);
    return next({
      ...input,
      headers: withRequestId(input.headers, id),
      options: { ...input.options, memo: { ...input.options.memo, requestId: id } },
    });
  },
  startUpdateWithStart(input, next) {
    const id = currentRequestId();
    if (!id) return next(input);
    return next({
      ...input,
      workflowStartHeaders: withRequestId(input.workflowStartHeaders, id),
      updateHeaders: withRequestId(input.updateHeaders, id),
      workflowStartOptions: {
        ...input.workflowStartOptions,
        memo: { ...input.workflowStartOptions.memo, requestId: id },
      },
    });
  },
  startUpdate(input, next) {
    const id = currentRequestId();
    return next(id ? { ...input, headers: withRequestId(input.headers, id) } : input);
  },
  signal(input, next) {
    const id = currentRequestId();
    return next(id ? { ...input, headers: withRequestId(input.headers, id) } : input);
  },
};

/** Tracing (a span per client call, context in the headers) and the request id, for every Troupe client. */
export function clientInterceptors() {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor(), requestIdInterceptor] };
}

export async function retryUntil<T>(
  waitMs: number,
  logger: Logger,
  what: string,
  attempt: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() + delay > deadline) throw err;
      logger.warn({ err: (err as Error).message }, `Waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Registers missing custom search attributes. The dev server gets them on its command line; a
 * self-hosted cluster gets them here; Temporal Cloud refuses the call, so there they must be added
 * once with `tcld` or the Cloud UI, and we only warn.
 */
export async function ensureSearchAttributes(client: Client, logger: Logger): Promise<void> {
  const { namespace } = client.options;
  const operator = client.connection.operatorService;
  try {
    const existing = await operator.listSearchAttributes({ namespace });
    const known = new Set(Object.keys(existing.customAttributes ?? {}));
    const missing = SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
    if (missing.length === 0) return;
    await operator.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_VALUE_TYPES[key.type]])),
    });
    logger.info({ added: missing.map((k) => k.name) }, 'Registered search attributes');
  } catch (err) {
    logger.warn(
      { err: (err as Error).message, attributes: SEARCH_ATTRIBUTES.map((k) => k.name) },
      'Could not check or register search attributes; add them to the namespace by hand',
    );
  }
}

const { IndexedValueType } = temporal.api.enums.v1;
const INDEXED_VALUE_TYPES: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};
