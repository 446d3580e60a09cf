import { AccessEngine } from '@am/engine';
import { ALL_OPERATIONS, exportUniverseText, Op, parseUniverse, parseUniverseText, REDACTED_ROLE, seededRandom, type Universe } from '@am/model';
import { BUNDLED_UNIVERSES } from '@am/runtime';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { builtInUniverse, builtInUniverseText, BUILT_IN_UNIVERSES } from './index';

const NOW = 1_750_000_000_000;
const ALICE = 'am://user/hpe/bu1/alice';
const BOB = 'am://user/hpe/bu1/bob';
const OPERATOR = 'am://user/the-operator';
const DEMO_GOD = 'am://user/demo-god';

function load(name: string) {
  const parsed = parseUniverse(builtInUniverse(name), { random: seededRandom(1) });
  return { ...parsed, engine: AccessEngine.fromUniverse(parsed.universe, { random: seededRandom(2) }) };
}

const ok = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const fail = (r: { ok: boolean; error?: { code: string; message: string } }) => {
  if (r.ok) throw new Error('expected a failure');
  return r.error!;
};

describe('built-in universes', () => {
  it('are the bundled names of the runtime, and load without errors', () => {
    expect(Object.keys(BUILT_IN_UNIVERSES).sort()).toEqual([...BUNDLED_UNIVERSES].sort());
    expect(builtInUniverse('nope')).toBeUndefined();
    // Same text every time: uniques are deterministic.
    expect(builtInUniverseText('new_sample')).toBe(builtInUniverseText('new_sample'));
    expect(() => parseUniverseText(builtInUniverseText('bootstrap')!)).not.toThrow();
  });

  describe('bootstrap', () => {
    const { universe, warnings, engine } = load('bootstrap');
    it('holds the four roots, the operator and its role; ls -r as the operator shows them all', () => {
      expect(warnings).toEqual([]);
      expect(universe.nodes.map((n) => n.path)).toEqual([
        'am://',
        'am://data',
        'am://role',
        'am://role/operator-admin',
        'am://user',
        'am://user/the-operator',
        'am://workload',
      ]);
      expect(ok(engine.details(OPERATOR, 'am://', { includeChildren: true }, NOW)).children).toEqual(['am://data', 'am://role', 'am://user', 'am://workload']);
      expect(ok(engine.details(OPERATOR, 'am://role', { includeChildren: true }, NOW)).children).toEqual(['am://role/operator-admin']);
      expect(ok(engine.details(OPERATOR, 'am://user', { includeChildren: true }, NOW)).details.isDirectory).toBe(true);
      expect(ok(engine.details(OPERATOR, OPERATOR, {}, NOW)).details.isDirectory).toBe(false);
      expect(ok(engine.authenticateDemoIdentity(OPERATOR, { allowDemoIdentities: true }, NOW))).toBe(OPERATOR);
    });
  });

  describe('new_sample', () => {
    const { warnings, engine } = load('new_sample');
    const children = (caller: string, p: string) => ok(engine.details(caller, p, { includeChildren: true }, NOW)).children;

    it('warns only about the dangling yoyo-special role', () => {
      expect(warnings.map((w) => w.path)).toEqual(['am://user/yoyodyne/charlie']);
    });

    it('alice sees am://user/{hpe,small}; demo-god sees all five', () => {
      expect(children(ALICE, 'am://user')).toEqual(['am://user/hpe', 'am://user/small']);
      expect(children(DEMO_GOD, 'am://user')).toEqual(['am://user/demo-god', 'am://user/hpe', 'am://user/small', 'am://user/the-operator', 'am://user/yoyodyne']);
    });

    it("alice's own node: her bu1-admin role, and panopticon redacted in the inherited VIEW ACL", () => {
      const d = ok(engine.details(ALICE, ALICE, {}, NOW)).details;
      expect(d.roles.map((r) => r.role)).toEqual(['am://role/hpe/bu1/bu1-admin']);
      expect(d.inheritedRoles.map((r) => r.role)).toEqual(['am://role/hpe/hpe-user', 'am://role/hpe/bu1/bu1-user']);
      expect(d.inheritedAces.find((a) => a.op === 'VIEW')?.acls[0].roles).toEqual(['am://role/hpe/hpe-user', REDACTED_ROLE]);
      expect(d.annotations.map((a) => a.tag)).toEqual(['principal']);
      // bob sees alice, but not which role she holds
      expect(ok(engine.details(BOB, ALICE, {}, NOW)).details.roles.map((r) => r.role)).toEqual([REDACTED_ROLE]);
    });

    it('the yoyodyne id-plugin vouches for yoyodyne/bob, who is no demonstration identity', () => {
      expect(ok(engine.authorizeVouch('am://workload/yoyodyne/id-plugin', 'am://user/yoyodyne/bob', NOW))).toBe('am://user/yoyodyne/bob');
      expect(fail(engine.authenticateDemoIdentity('am://user/yoyodyne/bob', { allowDemoIdentities: true }, NOW)).message).toBe('invalid credential');
      expect(fail(engine.authorizeVouch('am://workload/hpe/id-plugin', 'am://user/hpe/bu1/bob', NOW)).code).toBe('not-found');
    });

    it('a principal with an ssh key cannot use the plain path', () => {
      const e = load('new_sample').engine;
      const put = ok(e.authorize(OPERATOR, { kind: 'put-annotation', path: OPERATOR, annotation: { tag: 'ssh-pubkey', unique: 0n, version: 0, startMillis: 0, endMillis: 0, data: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2UtdGVzdC1rZXktZmFrZS10ZXN0LWtleS0x me@host' } }, NOW));
      e.apply(put);
      expect(fail(e.authenticateDemoIdentity(OPERATOR, { allowDemoIdentities: true }, NOW)).message).toBe('invalid credential');
    });

    it('yoyodyne/bob gets a daos1 delegation carrying raw and ref; demo-god changes nothing', () => {
      expect(ok(engine.authorizeDatasetCredential('am://user/yoyodyne/bob', 'am://data/yoyodyne/daos1', [], NOW))).toMatchObject({
        kind: 'delegation',
        roles: ['am://role/yoyodyne/daos/raw', 'am://role/yoyodyne/daos/ref'],
      });
      expect(fail(engine.authorize(DEMO_GOD, { kind: 'create-node', path: 'am://user/hpe/bu1/zed', directory: false }, NOW)).code).toBe('permission-denied');
      expect(engine.isAllowed(ALICE, 'am://data/hpe/bu1/special', Op.ADMIN, NOW)).toBe(true);
    });

    // The reference sample (MIT data in fixtures/) is the yardstick: ours must decide every
    // operation of every principal on every node the same way, and have the same tree.
    it('decides exactly like the reference sample, for every principal, node and operation', () => {
      const fixture = readFileSync(path.resolve(__dirname, '../../../fixtures/hpe-universes/new_sample.json'), 'utf8');
      const reference = parseUniverseText(fixture, { renumberDuplicates: true, random: seededRandom(3) }).universe;
      const ours = load('new_sample').universe;
      const shape = (u: Universe) => u.nodes.map((n) => `${n.path} ${n.annotations.some((a) => a.tag === 'leaf') ? 'leaf' : 'dir'}`);
      expect(shape(ours)).toEqual(shape(reference));
      const ref = AccessEngine.fromUniverse(reference, { random: seededRandom(4) });
      const paths = ours.nodes.map((n) => n.path);
      const agents = paths.filter((p) => p.startsWith('am://user/') || p.startsWith('am://workload/'));
      const differences: string[] = [];
      for (const agent of agents)
        for (const target of paths)
          for (const op of ALL_OPERATIONS)
            if (engine.isAllowed(agent, target, op, NOW) !== ref.isAllowed(agent, target, op, NOW)) differences.push(`${agent} ${op} ${target}`);
      expect(differences).toEqual([]);
    });
  });

  describe('secure_sample', () => {
    const secure = load('secure_sample');
    const open = load('new_sample');
    const BU2_ALICE = 'am://user/hpe/bu2/alice';
    const DASHBOARD = 'am://workload/hpe/bu1/dashboard';
    const HPE_ADMIN = 'am://role/hpe/hpe-admin';

    it("has new_sample's tenants and every one of its annotations, only with more ACEs", () => {
      const shape = (u: Universe) => u.nodes.map((n) => n.path);
      expect(shape(secure.universe)).toEqual(shape(open.universe));
      const content = (u: Universe) => u.nodes.flatMap((n) => n.annotations.map((a) => `${n.path} ${JSON.stringify({ ...a, unique: undefined }, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`));
      const more = new Set(content(secure.universe));
      expect(content(open.universe).filter((a) => !more.has(a))).toEqual([]);
      expect(secure.warnings.map((w) => w.path)).toEqual(['am://user/yoyodyne/charlie']);
    });

    it('is closed: its default-open report is empty, where new_sample has the holes found by hand', () => {
      expect(ok(secure.engine.defaultOpen(undefined, 'am://', NOW))).toEqual([]);
      expect(ok(open.engine.defaultOpen(undefined, 'am://', NOW)).length).toBeGreaterThan(0);
    });

    it.each([
      ['bob administers a bu1 workload (adds his ssh key to it)', BOB, DASHBOARD, Op.ADMIN],
      ["bu1's alice administers bu2's alice", ALICE, BU2_ALICE, Op.ADMIN],
      ['alice may apply hpe-admin (to herself)', ALICE, HPE_ADMIN, Op.APPLYROLE],
    ])('refuses what new_sample allows: %s', (_what, agent, target, op) => {
      expect(open.engine.isAllowed(agent, target, op, NOW)).toBe(true);
      expect(secure.engine.isAllowed(agent, target, op, NOW)).toBe(false);
    });

    it('keeps delegation working: each unit administers its own, workloads write their data', () => {
      expect(secure.engine.isAllowed(ALICE, BOB, Op.ADMIN, NOW)).toBe(true);
      expect(secure.engine.isAllowed(BU2_ALICE, BU2_ALICE, Op.ADMIN, NOW)).toBe(true);
      expect(secure.engine.isAllowed(ALICE, 'am://role/hpe/bu1/bu1-user', Op.APPLYROLE, NOW)).toBe(true);
      expect(secure.engine.isAllowed('am://workload/hpe/bu1/monthly-summary', 'am://data/hpe/bu1/hot-data', Op.WRITE, NOW)).toBe(true);
      expect(secure.engine.isAllowed('am://user/yoyodyne/alice', 'am://user/yoyodyne/bob', Op.ADMIN, NOW)).toBe(true);
      expect(secure.engine.isAllowed(OPERATOR, 'am://user/small/a', Op.WRITE, NOW)).toBe(true);
    });
  });

  describe('export round trip', () => {
    /** What `caller` exports of `engine`, as the export route writes it. */
    const exported = (engine: AccessEngine, caller: string) => exportUniverseText(ok(engine.exportVisible(caller, 'am://', NOW)).universe);
    /** The export without the redacted references an import drops. */
    const withoutRedacted = (text: string): unknown =>
      JSON.parse(text, (key, value) => {
        if (Array.isArray(value) && key === 'meta') return value.filter((a: { role?: string }) => a?.role !== REDACTED_ROLE);
        if (Array.isArray(value) && key === 'roles') return value.filter((r) => r !== REDACTED_ROLE);
        return value;
      });

    it.each([
      ['bootstrap', OPERATOR],
      ['new_sample', DEMO_GOD],
      ['secure_sample', DEMO_GOD],
    ])('%s exported by %s imports into an empty store, saying what it dropped, and exports again to the same document', (name, caller) => {
      const first = exported(load(name).engine, caller);
      const imported = parseUniverseText(first);
      const again = exported(AccessEngine.fromUniverse(imported.universe), caller);
      expect(JSON.parse(again)).toEqual(withoutRedacted(first));
      // A fixpoint from then on: nothing left to drop.
      expect(exported(AccessEngine.fromUniverse(parseUniverseText(again).universe), caller)).toBe(again);
      const redacted = first.split(REDACTED_ROLE).length - 1;
      const dropped = imported.warnings.filter((w) => /redacted in the export/.test(w.message));
      expect(dropped.length > 0).toBe(redacted > 0);
    });

    it("new_sample as demo-god: only charlie's dangling role is redacted, and the import names it", () => {
      const imported = parseUniverseText(exported(load('new_sample').engine, DEMO_GOD));
      expect(imported.warnings.filter((w) => /redacted/.test(w.message)).map((w) => w.path)).toEqual(['am://user/yoyodyne/charlie']);
    });

    it('an ACL that loses a redacted role is harder to satisfy, never easier', () => {
      const universe = parseUniverseText(
        JSON.stringify({
          path: 'am://',
          meta: [],
          children: [
            { path: 'am://data', meta: [{ tag: 'ace', op: 'READ', acls: [{ roles: ['am://role/x', REDACTED_ROLE] }, { roles: [REDACTED_ROLE] }] }], children: [] },
            ...['am://role', 'am://user', 'am://workload'].map((path) => ({ path, meta: [], children: [] })),
          ],
        }),
      );
      const acls = (universe.universe.nodes.find((n) => n.path === 'am://data')!.annotations.find((a) => a.tag === 'ace') as unknown as { acls: { roles: string[] }[] }).acls;
      expect(acls).toEqual([{ roles: ['am://role/x'] }, { roles: [] }]);
      expect(universe.warnings.map((w) => w.message)).toEqual(expect.arrayContaining([expect.stringMatching(/2 role\(s\) redacted in the export it came from taken out of its ACLs/)]));
    });
  });
});
