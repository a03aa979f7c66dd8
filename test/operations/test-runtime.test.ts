import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../../config';
import { testEnv } from '../support/harness';

// The test set-up shuts the Temporal runtime down after each file so that jest's workers can exit. It
// must do so after the file's own teardown. A setup file's afterAll runs before a test file's top-level
// afterAll (jest-circus: same block, declaration order), so it took the runtime from under the live
// workers and connections of files that tear down at top level (worker-stall, npm-start), and a jest
// worker then could not exit ("A worker process has failed to exit gracefully" after `npm test`).
// The hooks here are top-level on purpose.
let connection: NativeConnection;

beforeAll(async () => {
  connection = await NativeConnection.connect({ address: loadConfig(testEnv()).temporal.address });
});

afterAll(async () => {
  const runtimeAtTeardown = Runtime._instance;
  await connection.close();
  expect(runtimeAtTeardown).toBeDefined();
});

it('keeps the Temporal runtime live until the file has closed its connections', () => {
  expect(Runtime._instance).toBeDefined();
});
