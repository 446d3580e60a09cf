module.exports = { ...require('../../jest.preset.js'), displayName: 'plugin-passwords', rootDir: __dirname };
