/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // `npm run test:cluster` (jest.cluster.config.js) runs these against a self-hosted cluster.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  // The Temporal runtime with quiet logs (WARN, or LOG_LEVEL) in every test file.
  setupFilesAfterEnv: ['<rootDir>/test/setup/sdk-runtime.ts'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  // Workflows wait on real retries and timers; each test sets its own bound where it matters.
  testTimeout: 60_000,
  maxWorkers: 2,
};
