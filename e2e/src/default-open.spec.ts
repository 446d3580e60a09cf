import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { api } from './pki-peers';
import { amCli, startStack, type TestStack } from './stack';

const OPERATOR = 'am://user/the-operator';
const ALICE = 'am://user/hpe/bu1/alice';
const BOB = 'am://user/hpe/bu1/bob';
/** Outside hpe: sees none of it. */
const OUTSIDER = 'am://user/small/a/x2/y1';
const DEMO_GOD = 'am://user/demo-god';
/** A real OpenSSH public key line (policy parses what an ssh-pubkey annotation holds). */
const SSH_KEY = (() => {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]).toString('base64')} bob@laptop`;
})();

interface Region {
  path: string;
  operation: string;
  nodes: number;
}

/**
 * Issue 17, 6: new_sample teaches an insecure shape. What was found by hand (bob takes over a bu1
 * workload, bu1's alice administers bu2's alice, alice applies hpe-admin to herself) is what the
 * default-open report names, over REST, in the boot reply and with `am lint`; secure_sample, the
 * compose default, refuses each of them.
 */
describe('the default-open report and secure_sample', () => {
  let stack: TestStack;
  const am = (user: string | undefined, ...argv: string[]) => amCli(stack)(user, ...argv);
  const report = async (as: string, query = '') => api(stack.gatewayUrl, 'GET', `/v1/analysis/default-open${query}`, { as });
  /** The attacks of the issue, each as the REST call that made it. */
  const attacks = {
    'bob adds his ssh key to a bu1 workload': () =>
      api(stack.gatewayUrl, 'POST', '/v1/nodes/workload/hpe/bu1/dashboard/annotations', { as: BOB, body: { tag: 'ssh-pubkey', data: SSH_KEY } }),
    "bu1's alice takes over bu2's alice": () =>
      api(stack.gatewayUrl, 'POST', '/v1/nodes/user/hpe/bu2/alice/annotations', { as: ALICE, body: { tag: 'ssh-pubkey', data: SSH_KEY } }),
    'alice applies hpe-admin to herself': () =>
      api(stack.gatewayUrl, 'POST', '/v1/nodes/user/hpe/bu1/alice/annotations', { as: ALICE, body: { tag: 'applied-role', role: 'am://role/hpe/hpe-admin' } }),
  };

  beforeAll(async () => {
    stack = await startStack({ bootUniverse: 'none' });
  });
  afterAll(() => stack?.stop());

  it('a boot answers with the report of what it loaded, and the report names each hole found by hand', async () => {
    const boot = await api(stack.gatewayUrl, 'POST', '/v1/universe?name=new_sample', { headers: { authorization: `Bearer ${stack.bootstrapToken}` } });
    expect(boot.status).toBe(201);
    expect(boot.json.defaultOpen.count).toBeGreaterThan(10);
    // demo-god sees the whole tree (the operator does not see inside the tenants).
    const r = await report(DEMO_GOD, '?limit=1000');
    expect(r.status).toBe(200);
    const found = (r.json.regions as Region[]).map((x) => `${x.operation} ${x.path}`);
    expect(found).toEqual(expect.arrayContaining(['ADMIN am://workload/hpe', 'ADMIN am://user/hpe/bu2', 'APPLYROLE am://role']));
    expect(boot.json.defaultOpen.count).toBe(r.json.regions.length);
    expect(boot.json.defaultOpen.first).toEqual(r.json.regions.slice(0, boot.json.defaultOpen.first.length));
    expect((await report(OPERATOR)).json.regions.some((x: Region) => x.path.includes('hpe'))).toBe(false);
  });

  it('is limited to what the caller can see, and paged with an opaque cursor', async () => {
    const all = (await report(DEMO_GOD, '?limit=1000')).json.regions as Region[];
    const outside = (await report(OUTSIDER)).json.regions as Region[];
    expect(outside.length).toBeGreaterThan(0);
    expect(outside.filter((x) => /hpe/.test(x.path))).toEqual([]);
    const pages: Region[] = [];
    let cursor: string | undefined;
    let calls = 0;
    do {
      const page = await report(DEMO_GOD, `?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.json.regions.length).toBeLessThanOrEqual(4);
      pages.push(...page.json.regions);
      cursor = page.json.next;
      calls++;
    } while (cursor && calls < 100);
    expect(pages).toEqual(all);
    expect(calls).toBe(Math.ceil(all.length / 4));
    expect((await report(DEMO_GOD, '?under=am://user/hpe')).json.regions.every((x: Region) => x.path.startsWith('am://user/hpe'))).toBe(true);
    const bad = await report(OPERATOR, '?cursor=not-ours');
    expect([bad.status, bad.json.detail]).toEqual([400, expect.stringContaining('is not a cursor this API gave out')]);
    expect((await report(OUTSIDER, '?under=am://user/hpe')).status).toBe(404);
    expect((await api(stack.gatewayUrl, 'GET', '/v1/analysis/default-open')).status).toBe(401);
  });

  it('am lint: the same report, every page, exit 1 when it finds anything; --universe lints a file here', async () => {
    const live = await am(DEMO_GOD, '--output', 'table', 'lint');
    expect(live.code).toBe(1);
    expect(live.out).toMatch(/^ADMIN\s+am:\/\/user\/hpe\/bu2 \(2 nodes\)$/m);
    expect(live.err).toMatch(/default-open subtree\(s\)/);
    const json = await am(DEMO_GOD, 'lint', 'am://user/hpe');
    expect(JSON.parse(json.out).regions.map((x: Region) => x.path)).toContain('am://user/hpe/bu2');
    expect((await am(undefined, 'lint', '--universe', 'secure_sample')).code).toBe(0);
    expect((await am(undefined, 'lint', '--universe', 'new_sample')).code).toBe(1);
    const file = join(stack.infra.dir, 'broken.json');
    await writeFile(file, '{"path": "am://", "meta": [], "children": [{"path": "elsewhere"}]}');
    const broken = await am(undefined, 'lint', '--universe', file);
    expect([broken.code, broken.err]).toEqual([1, expect.stringMatching(/^Error: .*broken\.json: invalid universe/)]);
  });

  it.each(Object.keys(attacks))('new_sample allows, secure_sample refuses: %s', async (name) => {
    const attack = attacks[name as keyof typeof attacks];
    const replace = (universe: string) => api(stack.gatewayUrl, 'POST', `/v1/universe?name=${universe}&force=true`, { as: OPERATOR });
    expect((await replace('new_sample')).status).toBe(200);
    expect((await attack()).status).toBe(200);
    expect((await replace('secure_sample')).status).toBe(200);
    const refused = await attack();
    expect([refused.status, refused.json.title]).toEqual([403, expect.any(String)]);
  });
});
