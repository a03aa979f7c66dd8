import type { PayloadKey } from '../encryption/keys';
import { type Env, envSchema, parseDuration, SANDBOX_WEBHOOK_SECRET } from './env';

export { ENV_VARIABLES, type Env } from './env';

/** Raised when the environment cannot make a valid configuration; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

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
    /** Verifying the gateway's signed webhooks: every secret is accepted (a rotation has two). */
    webhook: { secrets?: string[]; toleranceSeconds: number };
    /** The sandbox gateway's own settings (it is the gateway: it signs and sends). */
    sandbox: {
      webhookUrls: string[];
      webhookSecrets: string[];
      webhookMode: 'normal' | 'chaos' | 'paused';
      pendingSeconds: number;
    };
  };
  http: {
    port: number;
    apiKeys?: string[];
    rateLimitPerMinute: number;
    redisUrl?: string;
    trustProxy?: string;
  };
  /** Bulk lead imports (POST /api/v1/lead-imports): the file's limits, and lead workflows run at once. */
  imports: { maxRows: number; maxBytes: number; concurrency: number; startsPerRun: number };
  /** Live streams (server-sent events): open streams per API process, heartbeat, change-log poll. */
  sse: { maxStreams: number; heartbeatMs: number; pollMs: number };
  /** The worker's Prometheus exporter (Temporal SDK metrics and Troupe's business counters). */
  metricsPort: number;
  /** How many worker processes `npm start` runs; worker i gets METRICS_PORT + i. */
  workers: number;
  /** Slots of each workflow worker (main and bookings queues) and its workflow cache; see README "Pools and slots". */
  worker: {
    activitySlots: number;
    localActivitySlots: number;
    workflowTaskSlots: number;
    /** Unset: the SDK's default, sized from the heap. */
    maxCachedWorkflows?: number;
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
  /** Outbound webhooks: who may be called, how long an attempt may take, when to retry and give up. */
  webhooks: WebhookSettings;
  /** Payload encryption: unset keys (outside production) mean the local key in DATA_DIR (encryption/). */
  encryption: { enabled: boolean; keys?: PayloadKey[] };
  /** The remote codec endpoints for the Web UI (on the API's port, or `npm run codec` on `port`). */
  codec: { token?: string; corsOrigins: string[]; port: number };
}

export interface WebhookSettings {
  /** Plain http and private, loopback or link-local addresses (default: outside production only). */
  allowPrivate: boolean;
  timeoutMs: number;
  /** Delay before each retry, in ms: one attempt, then one more per entry. */
  retryScheduleMs: number[];
  /** An endpoint whose deliveries have all failed this long is disabled. */
  disableAfterMs: number;
  /** After a rotation, the previous secret keeps signing this long. */
  rotationMs: number;
  /** Deliveries in flight at once per worker (their own task queue). */
  deliverySlots: number;
}

/** Reads and validates the environment once, at start-up. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
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
      webhook: {
        // Outside production the sandbox's development secret works out of the box.
        secrets:
          env.GATEWAY_WEBHOOK_SECRET ??
          (env.NODE_ENV === 'production' ? undefined : [SANDBOX_WEBHOOK_SECRET]),
        toleranceSeconds: env.GATEWAY_WEBHOOK_TOLERANCE_SECONDS,
      },
      sandbox: {
        webhookUrls: env.SANDBOX_GATEWAY_WEBHOOK_URLS ?? [],
        webhookSecrets: env.SANDBOX_GATEWAY_WEBHOOK_SECRET ?? [SANDBOX_WEBHOOK_SECRET],
        webhookMode: env.SANDBOX_GATEWAY_WEBHOOK_MODE,
        pendingSeconds: env.SANDBOX_GATEWAY_PENDING_SECONDS,
      },
    },
    imports: {
      maxRows: env.IMPORT_MAX_ROWS,
      maxBytes: env.IMPORT_MAX_BYTES,
      concurrency: env.IMPORT_CONCURRENCY,
      startsPerRun: env.IMPORT_STARTS_PER_RUN,
    },
    sse: {
      maxStreams: env.SSE_MAX_STREAMS,
      heartbeatMs: env.SSE_HEARTBEAT_SECONDS * 1000,
      pollMs: env.SSE_POLL_MS,
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
    webhooks: {
      allowPrivate: env.WEBHOOK_ALLOW_PRIVATE ?? env.NODE_ENV !== 'production',
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      retryScheduleMs: env.WEBHOOK_RETRY_SCHEDULE.map((d) => parseDuration(d) as number),
      disableAfterMs: env.WEBHOOK_DISABLE_AFTER_SECONDS * 1000,
      rotationMs: env.WEBHOOK_ROTATION_SECONDS * 1000,
      deliverySlots: env.WEBHOOK_DELIVERY_SLOTS,
    },
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
