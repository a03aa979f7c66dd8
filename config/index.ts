import { z } from 'zod';
import { type PayloadKey, parsePayloadKeys } from '../encryption/keys';

/** Raised when the environment cannot make a valid configuration; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

// `.env` files and shells often leave a variable set but empty; treat that as unset so defaults apply.
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
const withDefault = <T extends z.ZodType>(schema: T, fallback: z.input<T>) =>
  z.preprocess((value) => (value === '' || value === undefined ? fallback : value), schema);

const port = z.coerce.number().int().min(1).max(65535);
const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}` },
  );
const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7233');
// Accepts a bare address or a display-name form such as `Troupe <troupe@example.com>`.
const mailbox = z
  .string()
  .regex(/^(?:[^<>]*<\s*[^\s@<>]+@[^\s@<>]+\s*>|[^\s@<>]+@[^\s@<>]+)$/, 'must be an email address');
const positiveInt = z.coerce.number().int().positive();
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const schema = z
  .object({
    NODE_ENV: withDefault(z.enum(['development', 'production', 'test']), 'development'),
    LOG_LEVEL: withDefault(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
    LOG_FORMAT: withDefault(z.enum(['json', 'pretty']), 'json'),
    PORT: withDefault(port, 3000),
    DATA_DIR: withDefault(z.string().min(1), 'data'),

    MYSQL_URL: withDefault(url(['mysql']), 'mysql://root@127.0.0.1:3306/troupe'),
    MYSQL_POOL_SIZE: withDefault(positiveInt.max(1000), 10),
    MYSQL_ACQUIRE_TIMEOUT_MS: withDefault(positiveInt.max(600_000), 5_000),

    TEMPORAL_ADDRESS: optional(hostPort),
    TEMPORAL_NAMESPACE: withDefault(z.string().min(1), 'default'),
    TEMPORAL_TASK_QUEUE: withDefault(z.string().min(1), 'troupe'),
    TEMPORAL_DEV_SERVER_PORT: withDefault(port, 7233),
    TEMPORAL_UI_PORT: withDefault(port, 8233),
    // The Web UI of a cluster Troupe does not start itself (TEMPORAL_ADDRESS), for the links it prints.
    TEMPORAL_UI_URL: optional(url(['http', 'https'])),
    TEMPORAL_API_KEY: optional(z.string().min(1)),
    TEMPORAL_TLS: optional(flag),
    TEMPORAL_TLS_CERT_PATH: optional(z.string().min(1)),
    TEMPORAL_TLS_KEY_PATH: optional(z.string().min(1)),
    TEMPORAL_TLS_CA_PATH: optional(z.string().min(1)),
    TEMPORAL_TLS_SERVER_NAME: optional(z.string().min(1)),
    TEMPORAL_CLI: optional(z.string().min(1)),
    WORKFLOW_BUNDLE_PATH: optional(z.string().min(1)),

    TAVILY_API_KEY: optional(z.string().min(1)),
    TAVILY_BASE_URL: withDefault(url(['http', 'https']), 'https://api.tavily.com'),
    GROQ_API_KEY: optional(z.string().min(1)),
    GROQ_BASE_URL: withDefault(url(['http', 'https']), 'https://api.groq.com'),
    GROQ_MODEL: withDefault(z.string().min(1), 'llama-3.3-70b-versatile'),

    SMTP_URL: optional(url(['smtp', 'smtps'])),
    MAIL_FROM: withDefault(mailbox, 'Troupe <troupe@localhost>'),
    LEAD_REPORT_TO: optional(mailbox),
    OUTBOX_DIR: optional(z.string().min(1)),
    SMTP_SEND_TIMEOUT_MS: withDefault(positiveInt.min(1_000).max(600_000), 20_000),

    BOOKING_HOLD_SECONDS: withDefault(positiveInt, 600),
    PAYMENT_GATEWAY_URL: optional(url(['http', 'https'])),
    PAYMENT_GATEWAY_API_KEY: withDefault(z.string().min(1), 'sk_test_troupe_sandbox'),
    PAYMENT_GATEWAY_TIMEOUT_MS: withDefault(positiveInt, 10_000),
    SANDBOX_GATEWAY_PORT: withDefault(port, 4010),

    API_KEYS: optional(
      z
        .string()
        .transform((v) =>
          v
            .split(',')
            .map((k) => k.trim())
            .filter(Boolean),
        )
        .refine(
          (keys) => keys.length > 0 && keys.every((k) => k.length >= 16),
          'must be a comma-separated list of keys of 16+ characters',
        ),
    ),
    RATE_LIMIT_PER_MINUTE: withDefault(positiveInt, 600),
    REDIS_URL: optional(url(['redis', 'rediss'])),
    TRUST_PROXY: optional(z.string().min(1)),
    METRICS_PORT: withDefault(port, 9464),
    WORKERS: withDefault(positiveInt, 1),
    WORKER_ACTIVITY_SLOTS: withDefault(positiveInt.max(10_000), 50),
    WORKER_LOCAL_ACTIVITY_SLOTS: withDefault(positiveInt.max(10_000), 50),
    WORKER_WORKFLOW_TASK_SLOTS: withDefault(positiveInt.min(2).max(10_000), 20),
    WORKER_MAX_CACHED_WORKFLOWS: withDefault(z.coerce.number().int().min(0).max(100_000), 300),
    WORKER_STALL_SECONDS: withDefault(positiveInt.min(5).max(3_600), 60),
    WORKER_HEALTH_PORT: withDefault(port, 9564),
    WORKER_EXIT_ON_STALL: withDefault(flag, 'false'),
    WORKFLOW_ANSWER_TIMEOUT_MS: withDefault(positiveInt.min(1_000).max(600_000), 30_000),
    GROQ_MAX_REQUESTS_PER_SECOND: withDefault(z.coerce.number().positive(), 0.5),
    OTEL_EXPORTER_OTLP_ENDPOINT: optional(url(['http', 'https'])),
    OTEL_SERVICE_NAME: optional(z.string().min(1)),

    PAYLOAD_ENCRYPTION: withDefault(z.enum(['on', 'off']), 'on'),
    PAYLOAD_ENCRYPTION_KEYS: optional(
      z.string().transform((value, ctx) => {
        try {
          return parsePayloadKeys(value);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
    ),
    CODEC_TOKEN: optional(z.string().min(16, 'must be 16+ characters')),
    CODEC_CORS_ORIGINS: optional(
      z
        .string()
        .transform((v) =>
          v
            .split(',')
            .map((o) => o.trim().replace(/\/$/, ''))
            .filter(Boolean),
        )
        .refine(
          (origins) => origins.every((o) => /^https?:\/\/[^/\s]+$/.test(o)),
          'must be a comma-separated list of origins such as https://temporal.example.com',
        ),
    ),
    CODEC_PORT: withDefault(port, 8888),

    SHUTDOWN_GRACE_SECONDS: withDefault(positiveInt, 25),
    MIGRATE_ON_START: withDefault(flag, 'true'),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.TEMPORAL_TLS_CERT_PATH) !== Boolean(env.TEMPORAL_TLS_KEY_PATH)) {
      const missing = env.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'mTLS needs both a certificate and a key path',
      });
    }
    if (env.NODE_ENV === 'production' && env.PAYLOAD_ENCRYPTION === 'on' && !env.PAYLOAD_ENCRYPTION_KEYS) {
      ctx.addIssue({
        code: 'custom',
        path: ['PAYLOAD_ENCRYPTION_KEYS'],
        message:
          'is required in production (id:base64key of 32 bytes; see README "Privacy"), or set PAYLOAD_ENCRYPTION=off to store payloads in clear',
      });
    }
  });

export type Env = z.infer<typeof schema>;

export interface Config {
  env: Env['NODE_ENV'];
  log: { level: Env['LOG_LEVEL']; format: Env['LOG_FORMAT'] };
  dataDir: string;
  mysql: {
    url: string;
    migrateOnStart: boolean;
    /** Connections in this process's pool, and how long a query waits for one before it fails. */
    poolSize: number;
    acquireTimeoutMs: number;
  };
  temporal: {
    /** Unset means "start the embedded dev server" (npm start) on `devServer.port`. */
    address?: string;
    namespace: string;
    taskQueue: string;
    /** The Web UI of the cluster at `address` (TEMPORAL_UI_URL), no trailing slash. */
    uiUrl?: string;
    devServer: { port: number; uiPort: number; cliPath?: string };
    workflowBundlePath?: string;
    apiKey?: string;
    tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
  };
  tavily: { apiKey?: string; baseUrl: string };
  groq: { apiKey?: string; baseUrl: string; model: string };
  mail: {
    smtpUrl?: string;
    from: string;
    leadReportTo: string;
    outboxDir: string;
    /** The whole of one SMTP send (connect to the server's "250 OK"); past it the send is aborted. */
    sendTimeoutMs: number;
  };
  bookings: { holdSeconds: number };
  payments: {
    /** Unset means "the sandbox gateway on sandboxPort" (npm start runs it). */
    gatewayUrl: string;
    runSandbox: boolean;
    gatewayApiKey: string;
    gatewayTimeoutMs: number;
    sandboxPort: number;
  };
  http: {
    port: number;
    apiKeys?: string[];
    rateLimitPerMinute: number;
    redisUrl?: string;
    trustProxy?: string;
  };
  /** The worker's Prometheus exporter (Temporal SDK metrics and Troupe's business counters). */
  metricsPort: number;
  /** How many worker processes `npm start` runs; worker i gets METRICS_PORT + i. */
  workers: number;
  /** Slots of each workflow worker (main and bookings queues) and its workflow cache; see README "Pools and slots". */
  worker: {
    activitySlots: number;
    localActivitySlots: number;
    workflowTaskSlots: number;
    maxCachedWorkflows: number;
    /** Work in flight and nothing finishing (or the pool starved) this long: the worker is not live. */
    stallSeconds: number;
    /** The worker's /healthz and /readyz (worker i of `npm start` gets WORKER_HEALTH_PORT + i). */
    healthPort: number;
    /** Exit (code 70) once not live, for supervisors that restart exited processes but not unhealthy ones. */
    exitOnStall: boolean;
  };
  /** How long the API waits for a workflow's answer (an update) before it answers 504. */
  workflowAnswerTimeoutMs: number;
  /** Worker-side cap on Groq calls across all workers (the LLM task queue's activities per second). */
  llmActivitiesPerSecond: number;
  /** Traces go to this OTLP/HTTP endpoint when set; tracing is off otherwise. */
  otel?: { endpoint: string; serviceName?: string };
  shutdownGraceSeconds: number;
  /** Payload encryption: unset keys (outside production) mean the local key in DATA_DIR (encryption/). */
  encryption: { enabled: boolean; keys?: PayloadKey[] };
  /** The remote codec endpoints for the Web UI (on the API's port, or `npm run codec` on `port`). */
  codec: { token?: string; corsOrigins: string[]; port: number };
}

/** Reads and validates the environment once, at start-up. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const env = parsed.data;
  return {
    env: env.NODE_ENV,
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT },
    http: {
      port: env.PORT,
      apiKeys: env.API_KEYS,
      rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
      redisUrl: env.REDIS_URL,
      trustProxy: env.TRUST_PROXY,
    },
    dataDir: env.DATA_DIR,
    mysql: {
      url: env.MYSQL_URL,
      migrateOnStart: env.MIGRATE_ON_START,
      poolSize: env.MYSQL_POOL_SIZE,
      acquireTimeoutMs: env.MYSQL_ACQUIRE_TIMEOUT_MS,
    },
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      uiUrl: env.TEMPORAL_UI_URL?.replace(/\/+$/, ''),
      devServer: {
        port: env.TEMPORAL_DEV_SERVER_PORT,
        uiPort: env.TEMPORAL_UI_PORT,
        cliPath: env.TEMPORAL_CLI,
      },
      workflowBundlePath: env.WORKFLOW_BUNDLE_PATH,
      apiKey: env.TEMPORAL_API_KEY,
      // An API key (Temporal Cloud) or any certificate implies TLS unless TEMPORAL_TLS=false says otherwise.
      tls:
        (env.TEMPORAL_TLS ??
        Boolean(env.TEMPORAL_API_KEY || env.TEMPORAL_TLS_CERT_PATH || env.TEMPORAL_TLS_CA_PATH))
          ? {
              certPath: env.TEMPORAL_TLS_CERT_PATH,
              keyPath: env.TEMPORAL_TLS_KEY_PATH,
              caPath: env.TEMPORAL_TLS_CA_PATH,
              serverName: env.TEMPORAL_TLS_SERVER_NAME,
            }
          : undefined,
    },
    tavily: { apiKey: env.TAVILY_API_KEY, baseUrl: env.TAVILY_BASE_URL },
    groq: { apiKey: env.GROQ_API_KEY, baseUrl: env.GROQ_BASE_URL, model: env.GROQ_MODEL },
    mail: {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      // Reports go to the service's own mailbox unless someone is named.
      leadReportTo: env.LEAD_REPORT_TO ?? env.MAIL_FROM,
      outboxDir: env.OUTBOX_DIR ?? `${env.DATA_DIR}/outbox`,
      sendTimeoutMs: env.SMTP_SEND_TIMEOUT_MS,
    },
    bookings: { holdSeconds: env.BOOKING_HOLD_SECONDS },
    payments: {
      gatewayUrl: env.PAYMENT_GATEWAY_URL ?? `http://127.0.0.1:${env.SANDBOX_GATEWAY_PORT}`,
      runSandbox: !env.PAYMENT_GATEWAY_URL,
      gatewayApiKey: env.PAYMENT_GATEWAY_API_KEY,
      gatewayTimeoutMs: env.PAYMENT_GATEWAY_TIMEOUT_MS,
      sandboxPort: env.SANDBOX_GATEWAY_PORT,
    },
    metricsPort: env.METRICS_PORT,
    workers: env.WORKERS,
    worker: {
      activitySlots: env.WORKER_ACTIVITY_SLOTS,
      localActivitySlots: env.WORKER_LOCAL_ACTIVITY_SLOTS,
      workflowTaskSlots: env.WORKER_WORKFLOW_TASK_SLOTS,
      maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
      stallSeconds: env.WORKER_STALL_SECONDS,
      healthPort: env.WORKER_HEALTH_PORT,
      exitOnStall: env.WORKER_EXIT_ON_STALL,
    },
    workflowAnswerTimeoutMs: env.WORKFLOW_ANSWER_TIMEOUT_MS,
    llmActivitiesPerSecond: env.GROQ_MAX_REQUESTS_PER_SECOND,
    otel: env.OTEL_EXPORTER_OTLP_ENDPOINT
      ? { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME }
      : undefined,
    shutdownGraceSeconds: env.SHUTDOWN_GRACE_SECONDS,
    encryption: { enabled: env.PAYLOAD_ENCRYPTION === 'on', keys: env.PAYLOAD_ENCRYPTION_KEYS },
    codec: {
      token: env.CODEC_TOKEN,
      // The local dev server's Web UI unless told otherwise.
      corsOrigins: env.CODEC_CORS_ORIGINS ?? [
        `http://localhost:${env.TEMPORAL_UI_PORT}`,
        `http://127.0.0.1:${env.TEMPORAL_UI_PORT}`,
      ],
      port: env.CODEC_PORT,
    },
  };
}

/** The Temporal address processes connect to: the configured cluster, or the local dev server. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.devServer.port}`;
}

/** Every variable the service reads; `.env.example` and docker-compose are tested against it. */
export const ENV_VARIABLES = Object.keys(schema.shape) as (keyof Env)[];
