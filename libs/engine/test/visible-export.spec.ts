import { exportUniverseText, parseUniverseText, REDACTED_ROLE } from '@am/model';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccessEngine, unwrap } from '../src';

const fixture = (name: string) => parseUniverseText(readFileSync(join(__dirname, '../../../fixtures/hpe-universes', `${name}.json`), 'utf8'), { renumberDuplicates: true }).universe;
const NOW = Date.UTC(2026, 0, 1);

describe('exportVisible', () => {
  const engine = AccessEngine.fromUniverse(fixture('new_sample'));

  it('gives a caller who sees everything the whole tree; only the dangling role reference is redacted (§7.3)', () => {
    const all = unwrap(engine.exportVisible('am://user/demo-god', 'am://', NOW));
    expect(all.universe.nodes.map((n) => n.path)).toEqual(engine.toUniverse().nodes.map((n) => n.path));
    // charlie's applied role names a role that does not exist in new_sample.
    expect(all.redacted).toBe(1);
    const charlie = (u: typeof all.universe) => u.nodes.filter((n) => n.path !== 'am://user/yoyodyne/charlie');
    expect(exportUniverseText({ nodes: charlie(all.universe) })).toBe(exportUniverseText({ nodes: charlie(engine.toUniverse()) }));
  });

  it('limits a caller to the nodes it can View (and the bare path down to the subtree), redacting roles it cannot see', () => {
    const alice = unwrap(engine.exportVisible('am://user/hpe/bu1/alice', 'am://user', NOW));
    const paths = alice.universe.nodes.map((n) => n.path);
    expect(paths[0]).toBe('am://');
    expect(paths).toContain('am://user/hpe/bu1/alice');
    for (const p of paths) if (p !== 'am://' && p !== 'am://user') expect(engine.check('am://user/hpe/bu1/alice', p, [3], NOW).ok).toBe(true);
    expect(paths.some((p) => p.startsWith('am://user/yoyodyne'))).toBe(false);
    expect(alice.redacted).toBeGreaterThan(0);
    expect(JSON.stringify(alice.universe, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toContain(REDACTED_ROLE);
  });

  it('is not-found for a subtree the caller cannot see', () => {
    const r = engine.exportVisible('am://user/hpe/bu1/alice', 'am://user/yoyodyne', NOW);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('not-found');
  });
});
