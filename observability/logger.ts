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

/** The process logger; `destination` is for tests that read what would be logged. */
export function createLogger(
  config: Pick<Config, 'log'>,
  name: string,
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
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
  };
  return destination ? pino(options, destination) : pino(options);
}
