// Shared jest settings for every project (each project's jest.config.cjs spreads this).
// - node environment (the Nx preset would pick jsdom);
// - @swc/jest compiles TypeScript and also jose, which is ESM-only and Jest 30 on Node 20 cannot require it;
// - @am/* aliases map to library sources, as in tsconfig.base.json.
const path = require('node:path');
const root = __dirname;
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', require('./swc.jest.cjs')] },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@am/([a-z-]+)$': path.join(root, 'libs/$1/src/index.ts'),
    // Full-stack tests start the apps in process through their start functions.
    '^@apps/([a-z-]+)$': path.join(root, 'apps/$1/src/start.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
