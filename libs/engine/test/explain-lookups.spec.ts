/** explain, who-can and what-can on the reference demo universe. */
import { ALLOWED_BY_DEFAULT, DENIED_BY_DEFAULT } from '@am/engine';
import { Op, REDACTED_ROLE } from '@am/model';
import { errorOf, fixtureEngine, NOW, valueOf } from './helpers';

const e = fixtureEngine('new_sample');
const ALICE = 'am://user/hpe/bu1/alice';
const BOB = 'am://user/hpe/bu1/bob';
const GOD = 'am://user/demo-god';

describe('explain', () => {
  test('a denied caller learns the missing ACL, redacted where it may not look', () => {
    const x = valueOf(e.explain(BOB, BOB, ALICE, [Op.VIEW, Op.ADMIN], NOW));
    expect(x.allowed).toBe(false);
    const [view, admin] = x.operations;
    expect(view).toMatchObject({ op: 'VIEW', allowed: true, byDefault: null });
    expect(view.aces).toEqual([
      {
        side: 'target',
        attachment: 'inherited',
        attachedAt: 'am://user/hpe',
        unique: '79234067',
        local: false,
        satisfied: true,
        acls: [{ roles: ['am://role/hpe/hpe-user', REDACTED_ROLE], satisfied: true, satisfiedBy: 'am://role/hpe/hpe-user' }],
      },
    ]);
    expect(admin).toMatchObject({ op: 'ADMIN', allowed: false, aces: [{ attachedAt: 'am://user/hpe/bu1', satisfied: false, acls: [{ roles: [REDACTED_ROLE], satisfied: false, satisfiedBy: null }] }] });
  });

  test('default allow and VOUCHFOR default deny are stated', () => {
    const x = valueOf(e.explain(GOD, GOD, 'am://user/the-operator', [Op.ADMIN, Op.VOUCHFOR], NOW));
    expect(x.operations.map((o) => [o.op, o.allowed, o.byDefault])).toEqual([
      ['ADMIN', true, ALLOWED_BY_DEFAULT],
      ['VOUCHFOR', false, DENIED_BY_DEFAULT],
    ]);
  });

  test('local ACEs are shown only where attached, as direct', () => {
    const x = valueOf(e.explain(ALICE, ALICE, 'am://user/hpe', [Op.ADMIN], NOW));
    expect(x.operations[0].aces).toMatchObject([{ attachment: 'direct', local: true, attachedAt: 'am://user/hpe', acls: [{ roles: ['am://role/hpe/hpe-admin'] }] }]);
  });

  test('the asker must see both agent and target', () => {
    expect(errorOf(e.explain(BOB, BOB, 'am://user/hpe/bu1/invisible-man', [Op.VIEW], NOW))).toEqual({ code: 'not-found', message: 'am://user/hpe/bu1/invisible-man not found' });
    expect(errorOf(e.explain(BOB, 'am://user/hpe/bu1/invisible-man', ALICE, [Op.VIEW], NOW)).code).toBe('not-found');
  });
});

describe('who-can and what-can', () => {
  test('who can WRITE in bu1, as seen by demo-god and by bob', () => {
    expect(valueOf(e.whoCan(GOD, 'am://user/hpe/bu1', Op.WRITE, 'am://user', NOW))).toEqual(['am://user/hpe/bu1/alice', 'am://user/hpe/bu1/invisible-man']);
    expect(valueOf(e.whoCan(BOB, 'am://user/hpe/bu1', Op.WRITE, 'am://user', NOW))).toEqual(['am://user/hpe/bu1/alice']);
  });

  test('who can VOUCHFOR a yoyodyne user: only the plugin', () => {
    expect(valueOf(e.whoCan(GOD, 'am://user/yoyodyne/bob', Op.VOUCHFOR, 'am://', NOW))).toEqual(['am://workload/yoyodyne/id-plugin']);
  });

  test('who can READ hot-data: nobody, since hpe workloads cannot see hpe data', () => {
    expect(valueOf(e.whoCan(GOD, 'am://data/hpe/bu1/hot-data', Op.READ, 'am://workload', NOW))).toEqual([]);
  });

  test('what alice can administer under am://user/hpe', () => {
    const paths = valueOf(e.whatCan(GOD, ALICE, Op.ADMIN, 'am://user/hpe', NOW));
    expect(paths).not.toContain('am://user/hpe');
    expect(paths).toContain('am://user/hpe/bu1/invisible-man');
    expect(paths).toContain('am://user/hpe/bu2/alice');
    expect(valueOf(e.whatCan(BOB, ALICE, Op.ADMIN, 'am://user/hpe', NOW))).not.toContain('am://user/hpe/bu1/invisible-man');
  });

  test('lookups are View-gated for the asker', () => {
    expect(errorOf(e.whoCan(ALICE, 'am://user/yoyodyne/bob', Op.VIEW, 'am://', NOW)).code).toBe('not-found');
    expect(errorOf(e.whatCan(ALICE, 'am://user/the-operator', Op.VIEW, 'am://', NOW)).code).toBe('not-found');
  });
});
