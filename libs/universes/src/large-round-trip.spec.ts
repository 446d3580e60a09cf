import { AccessEngine, unwrap } from '@am/engine';
import { exportUniverseText, parseUniverse, parseUniverseText, seededRandom, type Universe } from '@am/model';

const NOW = 1_750_000_000_000;
const OPERATOR = 'am://user/op';

/** A generated universe of about `size` nodes: tenants of units of users and datasets, with roles, ACEs and notes. */
function generated(size: number) {
  const random = seededRandom(11);
  // Each tenant is 990 nodes: a directory, 10 units of 48 users, 10 datasets directories of 48, 8 roles under one.
  const tenants = Math.ceil(size / 990);
  const role = (t: number, r: number) => `am://role/t${t}/r${r}`;
  const ace = (op: string, roles: string[], local = false) => ({ tag: 'ace', op, local, acls: [{ roles }] });
  const leaf = (path: string, meta: object[] = []) => ({ path, meta: [{ tag: 'leaf' }, ...meta], children: null });
  const users = [], data = [], roles = [];
  for (let t = 0; t < tenants; t++) {
    roles.push({ path: `am://role/t${t}`, meta: [ace('APPLYROLE', [role(t, 0)])], children: Array.from({ length: 8 }, (_, r) => leaf(role(t, r), [{ tag: 'role' }])) });
    const units = [];
    for (let u = 0; u < 10; u++) {
      const members = Array.from({ length: 48 }, (_, i) =>
        leaf(`am://user/t${t}/u${u}/p${i}`, [{ tag: 'principal' }, { tag: 'applied-role', role: role(t, (random() >>> 0) % 8) }, ...(i % 7 === 0 ? [{ tag: 'note', data: `n${i}` }] : [])]),
      );
      units.push({ path: `am://user/t${t}/u${u}`, meta: [ace('ADMIN', [role(t, 1)]), ace('WRITE', [role(t, 1)])], children: members });
      data.push({ path: `am://data/t${t}-u${u}`, meta: [ace('READ', [role(t, 2), role(t, 3)])], children: Array.from({ length: 48 }, (_, i) => leaf(`am://data/t${t}-u${u}/d${i}`, [{ tag: 'data' }])) });
    }
    users.push({ path: `am://user/t${t}`, meta: [ace('ADMIN', [role(t, 0)], true)], children: units });
  }
  users.push(leaf(OPERATOR, [{ tag: 'principal' }]));
  return { path: 'am://', meta: [], children: [{ path: 'am://user', meta: [], children: users }, { path: 'am://data', meta: [], children: data }, { path: 'am://role', meta: [], children: roles }, { path: 'am://workload', meta: [], children: [] }] };
}

/** What the operator exports of `universe` (it sees all of it: no VIEW ACE anywhere). */
const exported = (universe: Universe) => exportUniverseText(unwrap(AccessEngine.fromUniverse(universe).exportVisible(OPERATOR, 'am://', NOW)).universe);

describe('export round trip of a generated 100k-node universe', () => {
  it('imports into an empty store and exports again to the same document', () => {
    const universe = parseUniverse(generated(100_000), { random: seededRandom(3) }).universe;
    expect(universe.nodes.length).toBeGreaterThan(100_000);
    const first = exported(universe);
    expect(first.length).toBeGreaterThan(10_000_000);
    const again = parseUniverseText(first);
    expect(again.warnings.filter((w) => /redacted/.test(w.message))).toEqual([]);
    expect(exported(again.universe) === first).toBe(true);
  }, 120_000);
});
