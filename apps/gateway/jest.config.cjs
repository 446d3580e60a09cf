// The service is exercised end to end by e2e/; unit tests here cover its pure parts.
module.exports = { ...require('../../jest.preset.js'), displayName: 'gateway', rootDir: __dirname, passWithNoTests: true };
