module.exports = { ...require('../../jest.preset.js'), displayName: 'pki-state', rootDir: __dirname, passWithNoTests: true };
