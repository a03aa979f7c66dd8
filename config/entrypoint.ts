import { createLogger, type Logger } from '../observability/logger';
import { type Config, ConfigError, loadConfig } from './index';

/**
 * Loads `.env` when present and validates the configuration; on a bad value, prints the message
 * naming the variable and exits, since nothing can run without a valid configuration.
 */
export function loadConfigOrExit(name: string): Config {
  try {
    process.loadEnvFile();
  } catch {
    // No .env file: the environment alone configures the process.
  }
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${name}: ${err.message}`);
    process.exit(1);
  }
}

/**
 * Starts a process (API, worker, gateway) with its configuration and logger; an error that escapes
 * `main` is logged and exits non-zero.
 */
export function runMain(name: string, main: (config: Config, logger: Logger) => Promise<void>): void {
  const config = loadConfigOrExit(name);
  const logger = createLogger(config, name);
  main(config, logger).catch((err) => {
    logger.fatal({ err }, `${name} failed`);
    // Give pino's transport a moment to flush before exiting.
    setTimeout(() => process.exit(1), 200);
  });
}
