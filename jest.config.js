/** @type {import('jest').Config} */
module.exports = {
  // Node's, with the Temporal runtime shut down after each file's own teardown (test/setup).
  testEnvironment: '<rootDir>/test/setup/temporal-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // `npm run test:cluster` (jest.cluster.config.js) runs test/cluster against a self-hosted cluster,
  // `npm run test:ui` (jest.ui.config.js) runs test/ui in Chromium.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/', '<rootDir>/test/ui/'],
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
