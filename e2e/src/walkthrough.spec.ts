/**
 * The walkthrough of compat-rest §6.13, steps 1 to 6 in order, through the `am` CLI (runCli, in
 * process) and the real OpenSSH client against the real stack, starting from an empty store.
 */
import { sshCredential, sshKeygen } from '@am/testing';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { amCli, startStack, type TestStack } from './stack';

const OPERATOR = 'am://user/the-operator';
const ALICE = 'am://user/hpe/bu1/alice';
const PLUGIN = 'am://workload/yoyodyne/id-plugin';
const BOB = 'am://user/yoyodyne/bob';

describe('walkthrough (compat-rest §6.13) with the am CLI', () => {
  let stack: TestStack;
  /** `am ...` as `user`; returns the exit status and what it printed. */
  const am = (user: string | undefined, ...argv: string[]) => amCli(stack)(user, ...argv);

  /** `ssh -l principal -p <ssh port> 127.0.0.1 > file` with the real OpenSSH client; returns `@file` for AM_USER. */
  const sshTo = async (principal: string, keyFile: string, file: string) => {
    const r = await sshCredential(stack.identity.sshPort, principal, keyFile);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    await writeFile(join(stack.infra.dir, file), r.stdout, { mode: 0o600 });
    return `@${join(stack.infra.dir, file)}`;
  };
  let operatorKey: { file: string; pub: string };
  let pluginKey: { file: string; pub: string };
  /** The operator's credential from the ssh endpoint (step 4), as `@file`. */
  let operator: string;

  beforeAll(async () => {
    stack = await startStack({ bootUniverse: 'none' });
    operatorKey = sshKeygen(stack.infra.dir, 'ed25519', 'operator');
    pluginKey = sshKeygen(stack.infra.dir, 'rsa', 'plugin');
  });
  afterAll(() => stack?.stop());

  it('1–2: boot bootstrap into the empty store (only with the bootstrap token); the operator lists the whole tree', async () => {
    // Boot over REST is not anonymous (universe-format §7, compat-rest §4.1): no token, a wrong one, the compat route.
    const refused = await am(OPERATOR, 'boot', 'bootstrap');
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(
      'Error: error loading "bootstrap": boot is disabled on this endpoint (booting needs the deployment\'s bootstrap token: --token or $AM_BOOTSTRAP_TOKEN)\n',
    );
    expect((await am(OPERATOR, 'boot', 'bootstrap', '--token', `${stack.bootstrapToken}x`)).code).toBe(1);
    const compat = await fetch(`${stack.gatewayUrl}/bootstrap?boot=bootstrap`, { method: 'POST' });
    expect(((await compat.json()) as { error: unknown }).error).toMatchObject({ error: 1, message: 'boot is disabled on this endpoint' });
    expect(await am(OPERATOR, 'ls', 'am://')).toMatchObject({ code: 1 });

    expect(await am(OPERATOR, 'boot', 'bootstrap', '--token', stack.bootstrapToken)).toMatchObject({ code: 0, out: 'Loaded bootstrap\n' });
    const again = await am(OPERATOR, 'boot', 'bootstrap');
    expect(again.code).toBe(1);
    expect(again.err).toBe('Error: error loading "bootstrap": data already exists (use --force to replace the tree, or --import to merge into it)\n');

    const ls = await am(OPERATOR, 'ls', '-r', 'am://');
    expect(ls.code).toBe(0);
    expect(ls.json()).toEqual({
      path: 'am://',
      children: [
        { path: 'am://data' },
        { path: 'am://role', children: [{ path: 'am://role/operator-admin' }] },
        { path: 'am://user', children: [{ path: OPERATOR }] },
        { path: 'am://workload' },
      ],
    });
    expect(ls.out).toContain('\n   "path": "am://",'.slice(1)); // 3-space indentation, as the reference
  });

  it('3: once the operator has an ssh key, the plain path is refused', async () => {
    expect(await am(OPERATOR, 'annotate', OPERATOR, `ssh-pubkey=${operatorKey.pub}`)).toMatchObject({ code: 0, out: '' });
    const refused = await am(OPERATOR, 'ls', 'am://');
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    expect(refused.err).toBe('Error: invalid credential\n');
  });

  it('4: ssh -l am://user/the-operator gives a credential with which `am ls -r am://` works again (as text and as @file)', async () => {
    const stranger = sshKeygen(stack.infra.dir, 'ed25519', 'stranger');
    const wrongKey = await sshCredential(stack.identity.sshPort, OPERATOR, stranger.file);
    expect(wrongKey.status).toBe(255);
    expect(wrongKey.stderr).toContain('Permission denied (publickey)');

    operator = await sshTo(OPERATOR, operatorKey.file, 'operator.jwt');
    const asFile = await am(operator, 'ls', '-r', 'am://');
    expect(asFile.code).toBe(0);
    expect(asFile.json().children.map((c: { path: string }) => c.path)).toEqual(['am://data', 'am://role', 'am://user', 'am://workload']);
    const credential = (await sshCredential(stack.identity.sshPort, OPERATOR, operatorKey.file)).stdout.trim();
    expect((await am(credential, 'whoami')).json()).toMatchObject({ principal: OPERATOR, via: 'credential' });
  });

  it('5: reload new_sample; alice sees am://user/{hpe,small}, demo-god all five; ls -l shows a redacted role', async () => {
    const boot = await am(operator, 'boot', 'new_sample', '--force');
    expect(boot).toMatchObject({ code: 0, out: 'Loaded new_sample\n' });

    expect((await am(ALICE, 'ls', 'am://user')).json()).toEqual({ path: 'am://user', children: [{ path: 'am://user/hpe' }, { path: 'am://user/small' }] });
    const god = await am('am://user/demo-god', 'ls', 'am://user');
    expect(god.json().children.map((c: { path: string }) => c.path)).toEqual([
      'am://user/demo-god',
      'am://user/hpe',
      'am://user/small',
      OPERATOR,
      'am://user/yoyodyne',
    ]);

    const long = await am(ALICE, 'ls', '-l', '-d', ALICE);
    expect(long.code).toBe(0);
    const details = long.json().Details;
    expect(details.roles).toEqual([{ role: 'am://role/hpe/bu1/bu1-admin', tag: 'applied-role', unique: expect.any(Number), version: 1 }]);
    expect(details.inheritedAces.find((a: { op: string }) => a.op === 'VIEW').acls[0].roles).toEqual(['am://role/hpe/hpe-user', '## Redacted role ##']);
    expect(details).not.toHaveProperty('aces'); // empty members are left out, as the reference prints them
    const table = await am(ALICE, '--output', 'table', 'ls', '-l', '-d', ALICE);
    expect(table.out).toContain('## Redacted role ##');
  });

  it('alice administers bu1 through the CLI: mk, chrole, check, history, rm', async () => {
    expect((await am(ALICE, 'mk', 'am://user/hpe/bu1/tom')).out).toBe('Created am://user/hpe/bu1/tom\n');
    expect((await am(ALICE, 'chrole', 'am://user/hpe/bu1/tom', '-a', 'am://role/hpe/bu1/bu1-query')).out).toBe('Added role am://role/hpe/bu1/bu1-query\n');
    const check = await am(ALICE, 'check', 'READ', 'am://data/hpe/bu1/hot-data', '--agent', 'am://user/hpe/bu1/tom');
    expect(check).toMatchObject({ code: 0 });
    expect(check.json()).toMatchObject({ allowed: true, agent: 'am://user/hpe/bu1/tom' });
    const denied = await am('am://user/hpe/bu1/bob', 'check', 'READ', 'am://data/hpe/bu1/hot-data');
    expect(denied.code).toBe(3);
    expect(denied.err).toBe('Error: not allowed: am://user/hpe/bu1/bob may not READ on am://data/hpe/bu1/hot-data\n');
    const explained = await am(ALICE, '--output', 'table', 'check', 'READ', 'am://data/hpe/bu1/hot-data', '--agent', 'am://user/hpe/bu1/tom', '--explain');
    expect(explained.out).toContain('allowed: am://user/hpe/bu1/tom READ am://data/hpe/bu1/hot-data\nREAD: allowed\n');
    expect(explained.out).toContain('satisfied by am://role/hpe/bu1/bu1-query');
    expect((await am(ALICE, 'who-can', 'READ', 'am://data/hpe/bu1/hot-data')).json().principals).toContain('am://user/hpe/bu1/tom');
    expect((await am(ALICE, 'whoami')).json()).toMatchObject({ principal: ALICE, via: 'demo-identity' });
    const exported = await am(ALICE, 'export', 'am://data/hpe/bu1');
    expect(JSON.parse(exported.out)).toMatchObject({ path: 'am://' }); // a universe file starts at the root
    expect(exported.out).toContain('"path": "am://data/hpe/bu1/hot-data"');
    const history = await am(ALICE, 'history', 'am://user/hpe/bu1/tom');
    const kinds = history.json().events.map((e: { kind: string }) => e.kind);
    expect(kinds.filter((k: string) => k !== 'boot' && k !== 'import')).toEqual(['create-node', 'put-annotation']);
    expect((await am(ALICE, 'rm', 'am://user/hpe/bu1/tom')).code).toBe(0);
    const gone = await am(ALICE, 'ls', 'am://user/hpe/bu1/tom');
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/^Error: .*not found.*\n$/);
  });

  it('6: the plugin, given an ssh key, logs in by ssh and vouches for bob (AM_USER=@id am vouch), whose view of am://user is {small, yoyodyne}', async () => {
    expect((await am('am://user/demo-god', 'annotate', PLUGIN, `ssh-pubkey=${pluginKey.pub}`)).code).toBe(0);
    const id = await sshTo(PLUGIN, pluginKey.file, 'id');
    const vouched = await am(id, 'vouch', BOB);
    expect(vouched.code).toBe(0);
    const credential = vouched.out.trim();
    expect(credential.split('.')).toHaveLength(3);
    await writeFile(join(stack.infra.dir, 'bob_cred'), vouched.out, { mode: 0o600 });
    expect((await am(`@${join(stack.infra.dir, 'bob_cred')}`, 'ls', 'am://user')).json().children).toEqual([{ path: 'am://user/small' }, { path: 'am://user/yoyodyne' }]);
    // Now that the plugin has a key, its plain path no longer vouches.
    expect((await am(PLUGIN, 'vouch', BOB)).err).toContain('invalid credential');
    const validated = await am(credential, 'validate');
    expect(validated.code).toBe(0);
    expect(JSON.parse(validated.json().info)).toMatchObject({ id: 'am://user/yoyodyne/bob' });
    const delegated = await am(credential, 'delegate', 'am://data/yoyodyne/daos1');
    expect(delegated.code).toBe(0);
    expect(delegated.json().credential.split('.')).toHaveLength(3);
    expect(Object.keys((await am(undefined, 'signing-keys')).json().keys).length).toBeGreaterThan(0);
    const plain = await am('am://user/yoyodyne/bob', 'ls', 'am://user');
    expect(plain.err).toContain('invalid credential');
  });
});
