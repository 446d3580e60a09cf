import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateSecrets } from './secrets';

describe('local stack secrets', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'am-secrets-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('gives every NATS user its own password, kept across starts, whatever the plugin is called', async () => {
    const plugins = ['plugin', 'constructor', '__proto__', 'toString'];
    const first = await loadOrCreateSecrets(dir, plugins);
    const users = ['gateway', 'policy', 'identity', 'pki', ...plugins];
    const passwords = users.map((u) => first.natsPasswords.get(u));
    for (const p of passwords) expect(p).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(new Set(passwords).size).toBe(users.length);
    const file = join(dir, 'keys', 'nats-passwords.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const again = await loadOrCreateSecrets(dir, plugins);
    expect(users.map((u) => again.natsPasswords.get(u))).toEqual(passwords);
    // A plugin added later gets a new password; the others keep theirs.
    const more = await loadOrCreateSecrets(dir, [...plugins, 'sso']);
    expect(users.map((u) => more.natsPasswords.get(u))).toEqual(passwords);
    expect(more.natsPasswords.get('sso')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(Object.keys(JSON.parse(await readFile(file, 'utf8'))).sort()).toEqual([...users, 'sso'].sort());
  });

  it('keeps one bootstrap token, private to the owner, and replaces one too short to be safe', async () => {
    const first = await loadOrCreateSecrets(dir, []);
    expect(first.bootstrapToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(first.bootstrapTokenFile).toBe(join(dir, 'keys', 'bootstrap-token'));
    expect((await readFile(first.bootstrapTokenFile, 'utf8')).trim()).toBe(first.bootstrapToken);
    expect((await stat(first.bootstrapTokenFile)).mode & 0o777).toBe(0o600);
    expect((await loadOrCreateSecrets(dir, [])).bootstrapToken).toBe(first.bootstrapToken);
    await writeFile(first.bootstrapTokenFile, 'short\n');
    const replaced = await loadOrCreateSecrets(dir, []);
    expect(replaced.bootstrapToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });
});
