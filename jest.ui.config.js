// `npm run test:ui` (tools/ui/run.ts): Troupe started as `npm start` starts it, opened in a real
// Chromium (test/ui). Not part of `npm test`; one file at a time, each brings up its own Troupe.
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  roots: ['<rootDir>/test/ui'],
  setupFilesAfterEnv: base.setupFilesAfterEnv,
  testMatch: ['**/*.ui.test.ts'],
  testTimeout: 120_000,
  maxWorkers: 1,
};
