const { transformIgnorePatterns } = require('./jest.esm-packages');

const swc = (ignoreDynamic) => [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs', ignoreDynamic },
    sourceMaps: 'inline',
  },
];

/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  transform: {
    // Our TypeScript keeps any native dynamic import(); the ESM packages in node_modules (Nest 12
    // and friends, jest.esm-packages.js) are compiled to CommonJS, their import() into require().
    '^.+/node_modules/.+\\.m?js$': swc(false),
    '^.+\\.ts$': swc(true),
  },
  transformIgnorePatterns: transformIgnorePatterns(),
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  setupFiles: ['<rootDir>/test/setup/env.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
  verbose: false,
};
