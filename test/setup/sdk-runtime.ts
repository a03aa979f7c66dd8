// Every test file: the Temporal runtime's quiet, collected logs (test/support/sdk-logs.ts), and the
// runtime shut down after the file, after the file's own afterAll hooks have closed its workers and
// connections (test/setup/temporal-environment.js calls this at run_finish), so it never keeps jest
// from exiting.
import { configureTestRuntime, shutdownTestRuntime } from '../support/sdk-logs';

configureTestRuntime();
(globalThis as { __shutdownTemporalRuntime?: () => Promise<void> }).__shutdownTemporalRuntime =
  shutdownTestRuntime;
