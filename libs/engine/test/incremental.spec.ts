/** Incremental invalidation, scenario by scenario (the property test covers random sequences). */
import { AccessEngine } from '@am/engine';
import { Op } from '@am/model';
import { aceOf, appliedRole, engineFromJson, NOW } from './helpers';

const leaf = (path: string, meta: unknown[] = []) => ({ path, meta: [{ tag: 'leaf' }, ...meta] });
function build(): AccessEngine {
  return engineFromJson({
    path: 'am://',
    children: [
      { path: 'am://role', children: [leaf('am://role/a'), leaf('am://role/b')] },
      { path: 'am://user', children: [{ path: 'am://user/team', children: [{ path: 'am://user/team/sub', children: [leaf('am://user/team/sub/m')] }] }] },
      { path: 'am://workload' },
      { path: 'am://data', children: [{ path: 'am://data/d', children: [leaf('am://data/d/x')] }] },
    ],
  });
}
const M = 'am://user/team/sub/m';
const X = 'am://data/d/x';

describe('incremental changes reach every cached descendant', () => {
  test('an applied role on an ancestor directory of the agent', () => {
    const e = build();
    e.putAnnotation(X, aceOf(Op.READ, [['am://role/a']], { unique: 9n, version: 1 }));
    expect(e.isAllowed(M, X, Op.READ, NOW)).toBe(false);
    e.putAnnotation('am://user/team', appliedRole('am://role/a', { unique: 1n, version: 1 }));
    expect(e.isAllowed(M, X, Op.READ, NOW)).toBe(true);
    e.deleteAnnotation('am://user/team', 'applied-role', 1n);
    expect(e.isAllowed(M, X, Op.READ, NOW)).toBe(false);
  });

  test('an inherited ACE on an ancestor of the target, then made local', () => {
    const e = build();
    expect(e.isAllowed(M, X, Op.WRITE, NOW)).toBe(true);
    e.putAnnotation('am://data', aceOf(Op.WRITE, [['am://role/b']], { unique: 3n, version: 1 }));
    expect(e.isAllowed(M, X, Op.WRITE, NOW)).toBe(false);
    e.putAnnotation('am://data', aceOf(Op.WRITE, [['am://role/b']], { unique: 3n, version: 2, local: true }));
    expect(e.isAllowed(M, X, Op.WRITE, NOW)).toBe(true);
    expect(e.isAllowed(M, 'am://data', Op.WRITE, NOW)).toBe(false);
  });

  test('nodes created below a cached directory inherit its state; deleted subtrees are gone', () => {
    const e = build();
    e.putAnnotation('am://data/d', aceOf(Op.READ, [['am://role/a']], { unique: 4n, version: 1 }));
    expect(e.isAllowed(M, X, Op.READ, NOW)).toBe(false);
    e.createNode('am://data/d/y', [{ tag: 'leaf', unique: 1n, version: 1, startMillis: 0, endMillis: 0, data: '' }]);
    expect(e.isAllowed(M, 'am://data/d/y', Op.READ, NOW)).toBe(false);
    expect(e.deleteNode('am://data/d')).toEqual(['am://data/d/y', 'am://data/d/x', 'am://data/d']);
    expect(e.isAllowed(M, X, Op.READ, NOW)).toBe(false);
    expect(e.has(X)).toBe(false);
  });
});
