// Every test file: the Temporal runtime's quiet, collected logs (test/support/sdk-logs.ts), and the
// runtime shut down after the file so it never keeps jest from exiting.
import { configureTestRuntime, shutdownTestRuntime } from '../support/sdk-logs';

configureTestRuntime();
afterAll(shutdownTestRuntime);
