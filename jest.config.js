/**
 * Three projects: fast unit tests beside the code, e2e tests that boot the app on real PostgreSQL and
 * Redis, and browser tests that drive the admin console in Debian's Chromium against that same app.
 */

// NestJS 12 ships ES modules only; this CommonJS project require()s them, which Jest can do only
// when Node runs with --experimental-vm-modules (vm.SyntheticModule). `npm run jest` passes it.
if (typeof require('node:vm').SyntheticModule !== 'function') {
  throw new Error('Run Jest through npm (`npm test`, or `npm run jest -- <file>`): it needs node --experimental-vm-modules to load NestJS 12');
}
const base = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true } }] },
  testEnvironment: 'node',
};
module.exports = {
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    { ...base, displayName: 'unit', rootDir: '.', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/unit/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'e2e',
      rootDir: '.',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      ...base,
      displayName: 'browser',
      rootDir: '.',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
