import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterKey, RecordSigner } from '@am/crypto';

const root = join(__dirname, '..', '..');
const master = MasterKey.generate();
/** Valid record keys, so that the setting under test is the one refused. */
const recordKeys = { AM_IDENTITY_RECORD_KEY: RecordSigner.fromMasterKey('identity', master).toString(), AM_PKI_RECORD_KEY: RecordSigner.fromMasterKey('pki', master).toString() };

describe('a service started with bad configuration', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'pipe' });
  });

  it.each([
    ['gateway', { ...recordKeys, AM_GATEWAY_PORT: 'http' }, 'gateway: invalid configuration: AM_GATEWAY_PORT must be a port number'],
    ['policy', { ...recordKeys, AM_MetadataUrls: 'etcd:2379' }, 'policy: invalid configuration: AM_MetadataUrls must be comma-separated http/https://host:port URLs'],
    // A verifier without the owners' record keys could trust nothing it reads from etcd: no default.
    ['policy', {}, 'policy: invalid configuration: AM_IDENTITY_RECORD_KEY must be set (deploy/make-secrets writes it; npm run up sets it)'],
    ['gateway', { ...recordKeys, AM_PKI_RECORD_KEY: 'ed25519:c2hvcnQ=' }, 'gateway: invalid configuration: AM_PKI_RECORD_KEY the pki record key must be "ed25519:" and 32 bytes of base64'],
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

describe('the example plugin\'s command (dist/apps/plugin-passwords, built)', () => {
  let dir: string;
  const plugin = (args: string[], input = '', env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(root, 'dist/apps/plugin-passwords/src/main.js'), ...args], {
      env: { PATH: process.env.PATH, PLUGIN_USERS_FILE: join(dir, 'users.txt'), ...env },
      input,
      encoding: 'utf8',
      timeout: 20_000,
    });
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'pipe' });
    dir = mkdtempSync(join(tmpdir(), 'am-plugin-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('manages its users: the password comes from stdin and only its scrypt hash is stored', () => {
    expect(plugin(['users', 'add', 'Bob', 'am://user/yoyodyne/bob'], 'blue,sky\n')).toMatchObject({ status: 0, stdout: 'added bob\n' });
    expect(plugin(['users', 'add', 'bob'], 'new password\n')).toMatchObject({ status: 0, stdout: 'updated bob\n' });
    expect(plugin(['users', 'list'])).toMatchObject({ status: 0, stdout: 'bob\n' });
    const stored = readFileSync(join(dir, 'users.txt'), 'utf8');
    expect(stored).toMatch(/^bob:\$scrypt\$/m);
    expect(stored).not.toContain('new password');
    expect(plugin(['users', 'add', 'eve'], '\n')).toMatchObject({ status: 1, stderr: 'plugin-passwords: the password must not be empty\n' });
    expect(plugin(['users', 'remove', 'BOB'])).toMatchObject({ status: 0, stdout: 'removed bob\n' });
    expect(plugin(['users', 'remove', 'bob'])).toMatchObject({ status: 1, stderr: 'plugin-passwords: no user bob\n' });
  });

  it('helps with --help, and names what is wrong: an unknown command (exit 1), a bad setting (exit 2)', () => {
    const help = plugin(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('plugin-passwords users add NAME [PRINCIPAL]');
    const unknown = plugin(['frobnicate']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/^plugin-passwords: unknown command "frobnicate"\nusage: /);
    const bad = plugin([], '', { PLUGIN_PORT: 'x' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^plugin-passwords: invalid configuration: PLUGIN_PORT must be a port number/);
  });
});
