// System tests (`npm run test:system`): real app processes (node dist/main.js), several instances on
// one PostgreSQL and one Redis, a real browser. Same transform and per-run database as `npm test`.
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/system/**/*.system-spec.ts'],
  globalSetup: '<rootDir>/test/system/setup/global-setup.ts',
  setupFiles: ['<rootDir>/test/system/setup/keep-env.ts', ...base.setupFiles],
  testTimeout: 180000,
  // Each file starts its own app processes; one file at a time keeps ports and CPU predictable.
  maxWorkers: 1,
};
