import { DefaultLogger, type LogEntry, type LogLevel, Runtime } from '@temporalio/worker';
import type { Logger } from './logger';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Routes the SDK's own logs, workflow logs (`log` from @temporalio/workflow) and activity logs to pino. */
export function temporalLogger(logger: Logger): DefaultLogger {
  const level = (Object.keys(LEVELS) as LogLevel[]).find((l) => LEVELS[l] === logger.level) ?? 'INFO';
  return new DefaultLogger(level, ({ level, message, meta }: LogEntry) =>
    logger[LEVELS[level]](meta ?? {}, message),
  );
}

/**
 * Installs the process-wide Temporal runtime once, before any worker or native connection is made:
 * SDK logs to pino, and the SDK's metrics (task slots, schedule-to-start latency, activity outcomes)
 * plus Troupe's business counters on a Prometheus endpoint.
 */
export function installTemporalRuntime(logger: Logger, metricsPort?: number): void {
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      // The SDK core's own warnings (a failing workflow task, a poll error) go to pino as JSON too,
      // instead of straight to the console in another format.
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(metricsPort && {
        metrics: { prometheus: { bindAddress: `0.0.0.0:${metricsPort}`, countersTotalSuffix: true } },
      }),
    },
  });
}
