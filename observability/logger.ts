import pino, { type Logger } from 'pino';
import type { Config } from '../config';

export type { Logger };

// Secrets and personal data never reach a log line, whatever object they arrive in.
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  '*.apiKey',
  '*.password',
  '*.email',
  '*.notifyEmail',
  '*.to',
  '*.name',
  '*.customer',
  '*.paymentMethod',
];

export function createLogger(config: Pick<Config, 'log'>, name: string): Logger {
  return pino({
    name,
    level: config.log.level,
    redact: { paths: REDACT, censor: '[redacted]' },
    ...(config.log.format === 'pretty'
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
      : {}),
  });
}
