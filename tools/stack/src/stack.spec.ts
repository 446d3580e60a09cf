import { createEtcd, etcdTlsOptions } from '@am/store';
import { freePort, freePorts, portOpen, SERVICE_NODE_FLAGS } from '@am/testing';
import { Etcd3 } from 'etcd3';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunFile } from './run-file';

const root = join(__dirname, '..', '..', '..');
const main = join(root, 'dist/tools/stack/src/main.js');

describe('the local stack command (real etcd, NATS and services as processes)', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  const stack = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { cwd: root, env, encoding: 'utf8', timeout: 90_000 });

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'pipe' });
    dataDir = await mkdtemp(join(tmpdir(), 'am-stack-'));
    // The gateway's metrics port and the next three (policy, identity, pki).
    const metrics = await freePorts(4);
    env = {
      PATH: process.env.PATH,
      AM_DATA_DIR: dataDir,
      AM_ETCD_URLS: `http://127.0.0.1:${await freePorts(2)}`, // client port and the peer port after it
      AM_NATS_URL: `nats://127.0.0.1:${await freePort()}`,
      AM_GATEWAY_PORT: String(await freePort()),
      AM_GATEWAY_TLS_PORT: String(await freePort()),
      AM_SSH_PORT: String(await freePort()),
      AM_METRICS_PORT: String(metrics),
      AM_NATS_PLUGIN_USERS: 'plugin, passwords',
    };
    etcdUrl = `https://127.0.0.1:${etcdPort()}`;
    etcdKeys = join(dataDir, 'keys/etcd');
  });
  const etcdPort = () => Number(new URL(env.AM_ETCD_URLS!).port);
  let etcdUrl: string;
  let etcdKeys: string;
  const rootEtcd = () =>
    createEtcd([etcdUrl], etcdTlsOptions({ caFile: join(etcdKeys, 'ca.crt'), certFile: join(etcdKeys, 'client-root.crt'), keyFile: join(etcdKeys, 'client-root.key') }));
  /** The stack's etcd answers no request without a client certificate from its CA: neither plain gRPC nor TLS without a certificate. */
  const expectRefusesUnauthenticated = async () => {
    const plain = new Etcd3({ hosts: `http://127.0.0.1:${etcdPort()}`, dialTimeout: 2000 });
    await expect(plain.get('/am/persisted').string()).rejects.toThrow();
    plain.close();
    const noCert = createEtcd([etcdUrl], { credentials: { rootCertificate: await readFile(join(etcdKeys, 'ca.crt')) } });
    await expect(noCert.get('/am/persisted').string()).rejects.toThrow();
    await expect(noCert.put('/am/identity/signing-keys/1').value('planted')).rejects.toThrow();
    noCert.close();
  };
  afterAll(async () => {
    stack('down');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('comes up detached and ready, keeps its data across a restart, and goes down cleanly', async () => {
    const first = stack('up', '--detach');
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`gateway   http://127.0.0.1:${env.AM_GATEWAY_PORT}`);
    expect(first.stdout).toContain(`ssh       port ${env.AM_SSH_PORT}`);
    const ready = await fetch(`http://127.0.0.1:${env.AM_GATEWAY_PORT}/readyz`);
    expect(ready.status).toBe(200);

    // The services run with the node flags compose gives them too; only the gateway holds the
    // bootstrap token, which is kept private to the owner for `am boot` on this host.
    const token = (await readFile(join(dataDir, 'keys/bootstrap-token'), 'utf8')).trim();
    expect(token.length).toBeGreaterThanOrEqual(16);
    expect((await stat(join(dataDir, 'keys/bootstrap-token'))).mode & 0o077).toBe(0);
    expect(first.stdout).toContain(`bootstrap token in ${join(dataDir, 'keys/bootstrap-token')}`);
    const run = await readRunFile(dataDir);
    for (const service of ['policy', 'identity', 'pki', 'gateway']) {
      const pid = run!.processes.find((p) => p.name === service)!.pid;
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      expect(argv.slice(1, 1 + SERVICE_NODE_FLAGS.length)).toEqual(SERVICE_NODE_FLAGS);
      expect(argv[1 + SERVICE_NODE_FLAGS.length]).toMatch(new RegExp(`dist/apps/${service}/src/main\\.js$`));
      const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
      expect(environ.includes(`AM_BOOTSTRAP_TOKEN=${token}`)).toBe(service === 'gateway');
      // etcd over TLS with the service's own client certificate, and no other's.
      expect(environ).toContain(`AM_ETCD_URLS=${etcdUrl}`);
      expect(environ).toContain(`AM_ETCD_CERT_FILE=${join(etcdKeys, `client-${service}.crt`)}`);
      expect(environ).toContain(`AM_ETCD_KEY_FILE=${join(etcdKeys, `client-${service}.key`)}`);
      expect(environ.filter((e) => e.startsWith('AM_ETCD_ALLOW_INSECURE'))).toEqual([]);
    }
    for (const file of ['ca.key', 'ca.crt', 'server.key', 'client-root.key', 'client-policy.key']) {
      expect((await stat(join(etcdKeys, file))).mode & 0o077).toBe(0);
    }

    // Secrets are generated once, private to the owner.
    const passwords = await readFile(join(dataDir, 'keys/nats-passwords.json'), 'utf8');
    expect(Object.keys(JSON.parse(passwords)).sort()).toEqual(['gateway', 'identity', 'passwords', 'pki', 'plugin', 'policy']);
    expect(first.stdout).toContain('NATS users "plugin", "passwords"');
    expect(existsSync(join(dataDir, 'keys/master.key'))).toBe(true);

    const again = stack('up', '--detach');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('a stack is already running');

    let etcd = rootEtcd();
    await etcd.put('/am/persisted').value('yes');
    etcd.close();
    await expectRefusesUnauthenticated();

    const down = stack('down');
    expect(down.status).toBe(0);
    expect(down.stdout).toContain('stopped');
    expect(await portOpen(Number(env.AM_GATEWAY_PORT))).toBe(false);
    expect(await portOpen(Number(new URL(env.AM_ETCD_URLS!).port))).toBe(false);

    expect(stack('up', '--detach').status).toBe(0);
    etcd = rootEtcd();
    expect(await etcd.get('/am/persisted').string()).toBe('yes');
    etcd.close();
    // The kept certificates still open it, and it still refuses a client without one.
    await expectRefusesUnauthenticated();
    expect(await readFile(join(dataDir, 'keys/nats-passwords.json'), 'utf8')).toBe(passwords);
    expect(stack('down').status).toBe(0);
  });

  it('refuses a bad setting with one line naming the variable', () => {
    const r = spawnSync(process.execPath, [main, 'up'], { cwd: root, env: { ...env, AM_BOOT_UNIVERSE: 'no-such-universe' }, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('invalid configuration: AM_BOOT_UNIVERSE must be new_sample, secure_sample, bootstrap, none or an existing universe file (got "no-such-universe")');
    for (const users of ['plugin,a.b', 'policy', ' , ']) {
      const bad = spawnSync(process.execPath, [main, 'up'], { cwd: root, env: { ...env, AM_NATS_PLUGIN_USERS: users }, encoding: 'utf8' });
      expect(bad.status).toBe(2);
      expect(bad.stderr.trim()).toMatch(/^invalid configuration: AM_NATS_PLUGIN_USERS /);
    }
  });

  it('refuses a port that is already taken, naming the variable to change, and starts nothing', async () => {
    const busy = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => busy.once('listening', r));
    const port = (busy.address() as AddressInfo).port;
    try {
      const r = spawnSync(process.execPath, [main, 'up'], { cwd: root, env: { ...env, AM_GATEWAY_PORT: String(port) }, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`stack: port ${port} is already in use (AM_GATEWAY_PORT); choose another with AM_GATEWAY_PORT`);
      expect(await portOpen(Number(new URL(env.AM_ETCD_URLS!).port))).toBe(false);
    } finally {
      busy.close();
    }
  });
});
