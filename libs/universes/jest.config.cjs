module.exports = { ...require('../../jest.preset.js'), displayName: 'universes', rootDir: __dirname };
