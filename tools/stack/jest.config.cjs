module.exports = { ...require('../../jest.preset.js'), displayName: 'stack', rootDir: __dirname, testTimeout: 120_000 };
