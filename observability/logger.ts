import pino, { type Logger } from 'pino';

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

/** What logging needs of the configuration (LOG_LEVEL, LOG_FORMAT). */
export interface LogSettings {
  log: { level: pino.LevelWithSilent; format: 'json' | 'pretty' };
}

/** The process logger; `destination` is for tests that read what would be logged. */
export function createLogger(
  config: LogSettings,
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
