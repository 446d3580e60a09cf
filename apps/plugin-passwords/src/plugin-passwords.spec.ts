import { annotateContract, validateCredentialContract } from '@am/bus';
import { connectBus, loadConfig, type BusConnection } from '@am/runtime';
import { sshKeygen, TestInfra } from '@am/testing';
import { identitySettings, startIdentity } from '@apps/identity';
import { policySettings, startPolicy } from '@apps/policy';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pluginSettings, startPluginPasswords, usersCommand } from './start';
import { checkLogin, hashPassword, parseUsers, readUsers, verifyPassword } from './users-file';

describe('users file', () => {
  it('stores scrypt hashes that verify only the right password', async () => {
    const hash = await hashPassword('blue,sky');
    expect(hash).toMatch(/^\$scrypt\$N=16384,r=8,p=1\$/);
    expect(hash).not.toContain('blue');
    await expect(verifyPassword('blue,sky', hash)).resolves.toBe(true);
    await expect(verifyPassword('blue,sky ', hash)).resolves.toBe(false);
    await expect(verifyPassword('blue,sky', 'not a hash')).resolves.toBe(false);
  });

  it('is managed by the users command: add (password from stdin), list, remove; names are case-insensitive', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'am-users-'));
    const file = join(dir, 'users.txt');
    expect(await usersCommand(file, ['add', 'Bob'], async () => 'blue,sky')).toBe('added bob');
    expect(await usersCommand(file, ['add', 'carol', 'am://user/yoyodyne/charlie'], async () => 'cat,mouse')).toBe('added carol');
    expect(await usersCommand(file, ['list'], async () => '')).toBe('bob\ncarol am://user/yoyodyne/charlie');
    const users = await readUsers(file);
    expect(await checkLogin(users, 'BOB', 'blue,sky')).toMatchObject({ name: 'bob' });
    expect(await checkLogin(users, 'bob', 'wrong')).toBeUndefined();
    expect(await checkLogin(users, 'mallory', 'blue,sky')).toBeUndefined();
    expect((await readFile(file, 'utf8')).split('\n')[0]).toMatch(/^#/);
    expect(await usersCommand(file, ['remove', 'bob'], async () => '')).toBe('removed bob');
    await expect(usersCommand(file, ['remove', 'bob'], async () => '')).rejects.toThrow('no user bob');
    await expect(usersCommand(file, ['add', 'x', 'am://data/x'], async () => 'p')).rejects.toThrow('not a principal path');
    expect(() => parseUsers('bob:plaintext\n')).toThrow('line 1');
    await rm(dir, { recursive: true, force: true });
  });
});

describe('the password plugin’s HTTP login (real etcd, NATS, OpenSSH key, policy, identity)', () => {
  let infra: TestInfra;
  let admin: BusConnection;
  let plugin: Awaited<ReturnType<typeof startPluginPasswords>>;
  let url: string;

  beforeAll(async () => {
    infra = await TestInfra.start();
    infra.track(await startPolicy(loadConfig(policySettings, infra.env('policy', { AM_BOOT_UNIVERSE: 'new_sample' }))));
    const identity = infra.track(await startIdentity(loadConfig(identitySettings, infra.env('identity'))));
    const gw = infra.env('gateway');
    admin = await connectBus({ AM_NATS_URL: [gw.AM_NATS_URL], AM_NATS_USER: gw.AM_NATS_USER, AM_NATS_PASSWORD: gw.AM_NATS_PASSWORD }, 'plugin-passwords-test');
    const key = sshKeygen(infra.dir, 'ed25519', 'id-plugin');
    await admin.bus.request(annotateContract, {
      credential: 'am://user/demo-god',
      path: 'am://workload/yoyodyne/id-plugin',
      annotation: { tag: 'ssh-pubkey', data: key.pub },
    });
    const usersFile = join(infra.dir, 'users.txt');
    await usersCommand(usersFile, ['add', 'bob'], async () => 'blue,sky');
    await usersCommand(usersFile, ['add', 'hpe-alice', 'am://user/hpe/bu1/alice'], async () => 'apple,tree');
    const env = infra.env('plugin');
    plugin = infra.track(
      await startPluginPasswords(
        loadConfig(pluginSettings, {
          PLUGIN_PORT: '0',
          PLUGIN_USERS_FILE: usersFile,
          PLUGIN_SSH_KEY: key.file,
          AM_SSH_PORT: String(identity.sshPort),
          AM_NATS_URL: env.AM_NATS_URL,
          AM_NATS_USER: env.AM_NATS_USER,
          AM_NATS_PASSWORD: env.AM_NATS_PASSWORD,
        }),
      ),
    );
    url = `http://127.0.0.1:${plugin.port}`;
  }, 60_000);

  afterAll(async () => {
    await admin?.close();
    await infra?.stop();
  }, 30_000);

  const login = (user: string, password: string) =>
    fetch(`${url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user, password }) });

  it('answers the right password with an Access Manager credential for the mapped principal', async () => {
    const r = await login('Bob', 'blue,sky');
    expect(r.status).toBe(200);
    const credential = await r.text();
    const v = await admin.bus.request(validateCredentialContract, { credential, accept: 'login' });
    expect(v).toMatchObject({ valid: true, claims: { id: 'am://user/yoyodyne/bob' } });
  });

  it('answers a wrong password or an unknown user with 401, and other methods with 405', async () => {
    for (const [user, password] of [['bob', 'blue,skies'], ['mallory', 'blue,sky'], ['', '']]) {
      const r = await login(user, password);
      expect([user, r.status, await r.text()]).toEqual([user, 401, 'Invalid username or password']);
    }
    expect((await fetch(`${url}/api/login`)).status).toBe(405);
    expect((await fetch(url)).status).toBe(200);
  });

  it('reports what the Access Manager refused when the plugin may not vouch for the principal', async () => {
    const r = await login('hpe-alice', 'apple,tree');
    expect(r.status).toBe(500);
    expect(await r.text()).toMatch(/^error getting credential "am:\/\/user\/hpe\/bu1\/alice": .*not found/);
  });

  it('sees users added while it runs', async () => {
    await usersCommand(join(infra.dir, 'users.txt'), ['add', 'eve'], async () => 'earth,wind');
    expect((await login('eve', 'earth,wind')).status).toBe(200);
  });
});
