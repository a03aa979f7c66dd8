// The environment variables Troupe reads, each validated (zod): types, ranges, defaults, and the
// rules between them. `loadConfig` (index.ts) turns a valid environment into the Config processes use.
import { z } from 'zod';
import { parsePayloadKeys } from '../encryption/keys';

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
/** A comma-separated list, each item trimmed, empty items dropped. */
const list = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1));
/** A duration such as `500ms`, `5s`, `5m`, `2h`, `1d`: in milliseconds. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms'];
  return Number(match[1]) * unit;
}
const duration = z.string().refine((v) => (parseDuration(v) ?? 0) > 0, {
  message: 'each item must be a positive duration such as 500ms, 5s, 5m, 2h or 1d',
});
/** A webhook signing secret: long enough to be a secret. */
const secret = z.string().min(16, 'each secret must be 16+ characters');

/**
 * The signing secret the sandbox gateway and Troupe share in development (never in production, where
 * GATEWAY_WEBHOOK_SECRET must be set to the one your gateway shows you).
 */
export const SANDBOX_WEBHOOK_SECRET = 'whsec_troupe_sandbox_development_only';

export const envSchema = z
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
    GATEWAY_WEBHOOK_SECRET: optional(list(secret)),
    GATEWAY_WEBHOOK_TOLERANCE_SECONDS: withDefault(positiveInt.min(10).max(3_600), 300),
    SANDBOX_GATEWAY_WEBHOOK_URLS: optional(list(url(['http', 'https']))),
    SANDBOX_GATEWAY_WEBHOOK_SECRET: optional(list(secret)),
    SANDBOX_GATEWAY_WEBHOOK_MODE: withDefault(z.enum(['normal', 'chaos', 'paused']), 'normal'),
    SANDBOX_GATEWAY_PENDING_SECONDS: withDefault(positiveInt.max(86_400), 600),

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
    IMPORT_MAX_ROWS: withDefault(positiveInt.max(100_000), 10_000),
    IMPORT_MAX_BYTES: withDefault(positiveInt.min(1_024).max(100 * 1024 * 1024), 5 * 1024 * 1024),
    IMPORT_CONCURRENCY: withDefault(positiveInt.max(1_000), 20),
    IMPORT_STARTS_PER_RUN: withDefault(positiveInt.min(10).max(5_000), 500),
    SSE_MAX_STREAMS: withDefault(positiveInt.max(100_000), 1_000),
    SSE_HEARTBEAT_SECONDS: withDefault(positiveInt.max(300), 15),
    SSE_POLL_MS: withDefault(positiveInt.min(50).max(10_000), 250),
    WORKERS: withDefault(positiveInt, 1),
    WORKER_ACTIVITY_SLOTS: withDefault(positiveInt.max(10_000), 50),
    WORKER_LOCAL_ACTIVITY_SLOTS: withDefault(positiveInt.max(10_000), 50),
    WORKER_WORKFLOW_TASK_SLOTS: withDefault(positiveInt.min(2).max(10_000), 20),
    WORKER_MAX_CACHED_WORKFLOWS: optional(z.coerce.number().int().min(0).max(100_000)),
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

    // Outbound webhooks (README "Webhooks"): private and plain-http receivers only outside production.
    WEBHOOK_ALLOW_PRIVATE: optional(flag),
    WEBHOOK_TIMEOUT_MS: withDefault(positiveInt.min(100).max(60_000), 10_000),
    WEBHOOK_RETRY_SCHEDULE: withDefault(list(duration), '5s,5m,30m,2h,5h,10h,10h,10h,14h,20h'),
    WEBHOOK_DISABLE_AFTER_SECONDS: withDefault(positiveInt, 5 * 24 * 3_600),
    WEBHOOK_ROTATION_SECONDS: withDefault(positiveInt, 24 * 3_600),
    WEBHOOK_DELIVERY_SLOTS: withDefault(positiveInt.max(1_000), 20),

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

export type Env = z.infer<typeof envSchema>;

/** Every variable the service reads; `.env.example` and docker-compose are tested against it. */
export const ENV_VARIABLES = Object.keys(envSchema.shape) as (keyof Env)[];
