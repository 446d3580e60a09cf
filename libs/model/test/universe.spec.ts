import { exportUniverse, exportUniverseChunks, exportUniverseText, parseUniverse, parseUniverseText, STRUCTURAL_UNIQUE, UniverseFormatError } from '@am/model';
import { readFixture } from './fixtures';

function seeded(seed = 1): () => number {
  let s = seed;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

const roots = ['user', 'workload', 'role', 'data'].map((r) => ({ path: `am://${r}` }));

function problemsOf(json: unknown, options = {}): string[] {
  try {
    parseUniverse(json, options);
  } catch (e) {
    if (e instanceof UniverseFormatError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe('reference universes parse unchanged', () => {
  test('new_sample: 80 nodes, 181 annotations, duplicate unique on am:// needs renumbering', () => {
    expect(problemsOf(JSON.parse(readFixture('new_sample')))).toEqual(['am://: duplicate annotation ace/7898498']);
    const { universe, warnings, renumbered } = parseUniverseText(readFixture('new_sample'), { renumberDuplicates: true, random: seeded() });
    expect(universe.nodes).toHaveLength(80);
    const fileAnnotations = universe.nodes.flatMap((n) => n.annotations).filter((a) => a.tag !== 'dir');
    expect(fileAnnotations).toHaveLength(181);
    expect(renumbered).toEqual([expect.objectContaining({ path: 'am://', tag: 'ace', from: 7898498n })]);
    expect(warnings.map((w) => w.message)).toContainEqual('applied role am://role/yoyodyne/yoyo-special is not a role leaf of this universe');
    const root = universe.nodes[0];
    expect(root.annotations.filter((a) => a.tag === 'ace')).toHaveLength(2);
  });

  test('bootstrap: markers without leaf make leaves (G9)', () => {
    const { universe, warnings } = parseUniverseText(readFixture('bootstrap'));
    expect(universe.nodes.map((n) => n.path)).toEqual(['am://', 'am://data', 'am://role', 'am://role/operator-admin', 'am://user', 'am://user/the-operator', 'am://workload']);
    const operator = universe.nodes.find((n) => n.path === 'am://user/the-operator');
    expect(operator?.annotations.map((a) => a.tag)).toEqual(['ace', 'ace', 'ace', 'applied-role', 'leaf', 'principal']);
    expect(warnings).toEqual([]);
  });

  test('every loaded annotation has version 1 and a non-zero unique', () => {
    const { universe } = parseUniverseText(readFixture('new_sample'), { renumberDuplicates: true });
    for (const a of universe.nodes.flatMap((n) => n.annotations)) {
      expect(a.version).toBe(1);
      expect(a.unique).not.toBe(0n);
    }
  });
});

describe('export (universe-format §8) and round trip', () => {
  test.each(['bootstrap', 'new_sample'] as const)('import(export(%s)) == the imported universe', (name) => {
    const first = parseUniverseText(readFixture(name), { renumberDuplicates: true, random: seeded() }).universe;
    const second = parseUniverseText(exportUniverseText(first)).universe;
    expect(second).toEqual(first);
    expect(exportUniverseText(second)).toBe(exportUniverseText(first));
  });

  test.each(['bootstrap', 'new_sample'] as const)('the export written in pieces is JSON.stringify of the tree (%s)', (name) => {
    const { universe } = parseUniverseText(readFixture(name), { renumberDuplicates: true, random: seeded() });
    const whole = `${JSON.stringify(exportUniverse(universe), null, 2)}\n`;
    const pieces = [...exportUniverseChunks(universe, {}, 100)];
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.join('')).toBe(whole);
    expect(exportUniverseText(universe)).toBe(whole);
  });

  test('a deep tree exports without recursion', () => {
    const nodes = [...roots.map((r) => ({ path: r.path, annotations: [] })), { path: 'am://', annotations: [] }];
    let path = 'am://data';
    for (let i = 0; i < 1000; i++) nodes.push({ path: (path = `${path}/d`), annotations: [] });
    const text = exportUniverseText({ nodes });
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('"path"').length - 1).toBe(nodes.length);
  });

  test('leaves explicit with children null, dir omitted, empty directories with []', () => {
    const { universe } = parseUniverseText(readFixture('bootstrap'));
    const json = exportUniverse(universe);
    expect(json.meta.some((a) => a.tag === 'dir')).toBe(false);
    const user = json.children?.find((c) => c.path === 'am://user');
    expect(user?.children?.[0]).toMatchObject({ path: 'am://user/the-operator', children: null });
    expect(user?.children?.[0].meta.find((a) => a.tag === 'leaf')).toEqual({ tag: 'leaf', unique: String(STRUCTURAL_UNIQUE), version: '1', startMillis: '0', endMillis: '0' });
    expect(json.children?.find((c) => c.path === 'am://workload')?.children).toEqual([]);
    expect(json.children?.map((c) => c.path)).toEqual(['am://data', 'am://role', 'am://user', 'am://workload']);
  });

  test('activeOnly drops expired and future annotations', () => {
    const { universe } = parseUniverse({
      path: 'am://',
      children: [...roots.slice(1), { path: 'am://user', meta: [{ tag: 'note', data: 'old', endMillis: 10 }, { tag: 'note', data: 'new', startMillis: 1000 }, { tag: 'note', data: 'now' }] }],
    });
    const user = exportUniverse(universe, { activeOnly: { now: 500 } }).children?.find((c) => c.path === 'am://user');
    expect(user?.meta.map((a) => a.data)).toEqual(['now']);
  });
});

describe('validation errors (universe-format §5)', () => {
  test('capitalised node keys are accepted', () => {
    expect(problemsOf({ Path: 'am://', Meta: null, Children: roots.map((r) => ({ Path: r.path, Children: null })) })).toEqual([]);
  });

  test.each([
    [{ path: 'am://user', children: [] }, 'the top-level object must be am://'],
    [{ path: 'am://', children: roots.slice(1) }, 'missing root am://user'],
    [{ path: 'am://', children: [...roots, { path: 'am://foo' }] }, 'first component'],
    [{ path: 'am://', children: [...roots, { path: 'am://user/x' }] }, 'is not a direct child of am://'],
    [{ path: 'am://', children: [...roots, { path: 'am://user' }] }, 'duplicate node path'],
    [{ path: 'am://', children: [...roots.slice(1), { path: 'am://user/', children: [] }] }, 'not normalised'],
    [{ path: 'am://', extra: 1, children: roots }, 'unknown member "extra"'],
    [{ path: 'am://', Path: 'am://', children: roots }, 'member path given twice'],
    [{ path: 'am://', children: [...roots.slice(1), { path: 'am://user', children: [{ path: 'am://user/a', meta: [{ tag: 'principal' }], children: [{ path: 'am://user/a/b' }] }] }] }, 'a leaf cannot have children'],
    [{ path: 'am://', children: [...roots.slice(1), { path: 'am://user', children: [{ path: 'am://user/a', meta: [{ tag: 'leaf' }, { tag: 'dir' }] }] }] }, 'dir together with a leaf marker'],
    [{ path: 'am://', children: [...roots.slice(1), { path: 'am://user', meta: [{ tag: 'ace', op: 'INVALID' }] }] }, 'invalid operation'],
    [{ path: 'am://', children: [...roots.slice(1), { path: 'am://user', meta: [{ tag: 'ace', op: 'READ', agent: 1 }] }] }, 'agent'],
    [{ path: 'am://', children: [...roots.slice(1), { path: 'am://user', meta: [{ tag: 'note', unique: 5 }, { tag: 'note', unique: '5' }] }] }, 'duplicate annotation note/5'],
    [{ path: 'am://', children: [...roots.slice(1), { path: 'am://user', meta: [{ tag: 'principal' }] }] }, 'always directories'],
  ])('refuses %j', (json, message) => {
    expect(problemsOf(json).join('\n')).toContain(message);
  });

  test('warnings: ACE without ACLs, ACL without roles, unknown role', () => {
    const { warnings } = parseUniverse({
      path: 'am://',
      children: [...roots.slice(1), { path: 'am://user', meta: [{ tag: 'ace', op: 'READ', unique: 1 }, { tag: 'ace', op: 'VIEW', unique: 2, acls: [{ roles: [] }, { roles: ['am://role/ghost'] }] }] }],
    });
    expect(warnings.map((w) => w.message)).toEqual([
      'ACE 1 has no ACLs (always satisfied)',
      'ACE 2 has an ACL without roles (never satisfiable)',
      'ACE 2 names am://role/ghost, which is not a role leaf of this universe',
    ]);
  });

  test('invalid JSON text', () => {
    expect(() => parseUniverseText('{')).toThrow(UniverseFormatError);
  });
});
