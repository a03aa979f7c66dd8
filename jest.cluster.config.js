// `npm run test:cluster`: Troupe against a self-hosted Temporal cluster (test/cluster), not part of
// `npm test`. No global setup: the test brings up its own cluster, MySQL database and processes.
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  roots: ['<rootDir>/test/cluster'],
  setupFilesAfterEnv: base.setupFilesAfterEnv,
  testMatch: ['**/*.test.ts'],
  testTimeout: 120_000,
  maxWorkers: 1,
};
