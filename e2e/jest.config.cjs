// Full-stack tests: real etcd and NATS from @am/testing, every service started in process.
module.exports = { ...require('../jest.preset.js'), displayName: 'e2e', rootDir: __dirname, testTimeout: 60_000 };
