import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

describe('a service started with bad configuration', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'pipe' });
  });

  it.each([
    ['gateway', { AM_GATEWAY_PORT: 'http' }, 'gateway: invalid configuration: AM_GATEWAY_PORT must be a port number'],
    ['policy', { AM_MetadataUrls: 'etcd:2379' }, 'policy: invalid configuration: AM_MetadataUrls must be comma-separated http/https://host:port URLs'],
    ['identity', { LOG_LEVEL: 'chatty' }, 'identity: invalid configuration: LOG_LEVEL must be one of'],
    ['pki', { AM_NATS_URL: '' , AM_METRICS_PORT: '99999' }, 'pki: invalid configuration: AM_METRICS_PORT must be a port number'],
  ])('%s stops with one line naming the variable and exit status 2', (app, env, expected) => {
    const r = spawnSync(process.execPath, [join(root, 'dist/apps', app, 'src/main.js')], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr.startsWith(expected)).toBe(true);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });
});
