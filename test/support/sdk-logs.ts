import { DefaultLogger, type LogEntry, type LogLevel, Runtime } from '@temporalio/worker';

/** Every SDK, workflow and activity log entry of this test file's workers, for tests about logging. */
export const sdkLogs: LogEntry[] = [];

const ORDER: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/**
 * The level tests print at: LOG_LEVEL (pino's names), WARN by default. `silent` prints nothing. Troupe's
 * own log lines (its API and worker loggers, and what workflows and activities log) stay silent unless
 * LOG_LEVEL is set, so that a green run shows only what went wrong.
 */
export const testLogLevel = (process.env.LOG_LEVEL ?? 'warn').toLowerCase();

/** The pino level for Troupe's loggers in tests: LOG_LEVEL when given, silent otherwise. */
export const appLogLevel = process.env.LOG_LEVEL ?? 'silent';

/**
 * SDK warnings that tests cause on purpose, printed only when LOG_LEVEL asks: an activity that failed
 * (a test injected the failure; Temporal retries it) and the LLM worker, which runs activities only.
 */
const EXPECTED_IN_TESTS = new Set([
  'Activity failed',
  'No workflows registered, not polling for workflow tasks',
]);

let muted = 0;

/** Runs `work` without printing SDK entries (a test that makes the SDK fail on purpose); still collected. */
export async function withSdkQuiet<T>(work: () => Promise<T>): Promise<T> {
  muted++;
  try {
    return await work();
  } finally {
    muted--;
  }
}

function printsAt(level: LogLevel): boolean {
  if (testLogLevel === 'silent') return false;
  const threshold = ORDER.indexOf(testLogLevel.toUpperCase() as LogLevel);
  return ORDER.indexOf(level) >= (threshold < 0 ? ORDER.indexOf('WARN') : threshold);
}

/**
 * Sets the options of the process-wide Temporal runtime for a test file (jest `setupFilesAfterEnv`):
 * every entry is kept in `sdkLogs`; the SDK's own entries print at `testLogLevel`, workflow and
 * activity entries (Troupe's log calls) only when LOG_LEVEL asks for them. The runtime itself is made
 * only when a test needs one (and made again with these options after the SDK shuts it down), and
 * shut down after the file (`shutdownTestRuntime`) so it never keeps jest from exiting.
 */
export function configureTestRuntime(): void {
  const print = new DefaultLogger('TRACE');
  Runtime.defaultOptions = {
    // The SDK core's own entries go straight to the console, errors only. (Forwarding them through this
    // logger, as production does, keeps a native handle that can hold a jest worker past its exit.)
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    logger: new DefaultLogger('TRACE', (entry) => {
      sdkLogs.push(entry);
      const component = (entry.meta as { sdkComponent?: string } | undefined)?.sdkComponent;
      const ours =
        component === 'workflow' || component === 'activity' || EXPECTED_IN_TESTS.has(entry.message);
      if (muted === 0 && printsAt(entry.level) && (!ours || process.env.LOG_LEVEL !== undefined)) {
        print.log(entry.level, entry.message, entry.meta);
      }
    }),
  };
}

export async function shutdownTestRuntime(): Promise<void> {
  await Runtime._instance?.shutdown();
}
