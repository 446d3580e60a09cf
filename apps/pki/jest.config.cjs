// The service is exercised end to end by e2e/ (smoke test); its own unit tests arrive with its features.
module.exports = { ...require('../../jest.preset.js'), displayName: 'pki', rootDir: __dirname, passWithNoTests: true };
