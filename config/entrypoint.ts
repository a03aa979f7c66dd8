import { createLogger, type Logger } from '../observability/logger';
import { type Config, ConfigError, loadConfig } from './index';

/**
 * Starts a process (API, worker, gateway): loads `.env` when present, validates the configuration
 * and exits with a message naming the bad variable when it is wrong, then runs `main`; an error
 * that escapes `main` is logged and exits non-zero.
 */
export function runMain(name: string, main: (config: Config, logger: Logger) => Promise<void>): void {
  try {
    process.loadEnvFile();
  } catch {
    // No .env file: the environment alone configures the process.
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${name}: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config, name);
  main(config, logger).catch((err) => {
    logger.fatal({ err }, `${name} failed`);
    // Give pino's transport a moment to flush before exiting.
    setTimeout(() => process.exit(1), 200);
  });
}
