/** Single rules of access-model §2.5, §4, §5, §6 and §7, each on a minimal universe. */
import { AccessEngine } from '@am/engine';
import { Op, REDACTED_ROLE } from '@am/model';
import { aceOf, appliedRole, engineFromJson, errorOf, fixtureEngine, note, NOW, valueOf } from './helpers';

const roots = (extra: Record<string, unknown[]> = {}) =>
  ['user', 'workload', 'role', 'data'].map((r) => ({ path: `am://${r}`, children: extra[r] ?? [] }));
const leaf = (path: string, meta: unknown[] = []) => ({ path, meta: [{ tag: 'leaf' }, ...meta] });
const R = (n: string) => `am://role/${n}`;

function universe(extra: Record<string, unknown[]>, rootMeta: unknown[] = []): AccessEngine {
  return engineFromJson({ path: 'am://', meta: rootMeta, children: roots({ role: ['a', 'b', 'c'].map((n) => leaf(R(n))), ...extra }) });
}

describe('§4 ACE evaluation', () => {
  const e = universe({
    user: [leaf('am://user/ab', [{ tag: 'applied-role', role: R('a') }, { tag: 'applied-role', role: R('b') }]), leaf('am://user/a', [{ tag: 'applied-role', role: R('a') }]), leaf('am://user/none')],
    data: [
      {
        path: 'am://data/d',
        meta: [{ tag: 'ace', op: 'READ', acls: [{ roles: [R('a')] }, { roles: [R('b'), R('c')] }] }, { tag: 'ace', op: 'WRITE', local: true, acls: [{ roles: [R('c')] }] }],
        children: [leaf('am://data/d/x', [{ tag: 'ace', op: 'WRITE', acls: [] }]), leaf('am://data/d/y', [{ tag: 'ace', op: 'VIEW', acls: [{ roles: [] }] }])],
      },
    ],
  });

  test('AND of ACLs, OR of roles within an ACL, inherited by descendants', () => {
    expect(e.isAllowed('am://user/ab', 'am://data/d/x', Op.READ, NOW)).toBe(true);
    expect(e.isAllowed('am://user/a', 'am://data/d/x', Op.READ, NOW)).toBe(false);
    expect(e.isAllowed('am://user/none', 'am://data/d', Op.READ, NOW)).toBe(false);
  });

  test('a local ACE counts only where attached', () => {
    expect(e.isAllowed('am://user/ab', 'am://data/d', Op.WRITE, NOW)).toBe(false);
    expect(e.isAllowed('am://user/ab', 'am://data/d/y', Op.WRITE, NOW)).toBe(true);
  });

  test('an ACE without ACLs is always satisfied; an ACL without roles never', () => {
    expect(e.isAllowed('am://user/none', 'am://data/d/x', Op.WRITE, NOW)).toBe(true);
    expect(e.isAllowed('am://user/ab', 'am://data/d/y', Op.VIEW, NOW)).toBe(false);
  });

  test('default allow when no ACE applies; missing paths are never allowed', () => {
    expect(e.isAllowed('am://user/none', 'am://data/d', Op.ADMIN, NOW)).toBe(true);
    expect(e.isAllowed('am://user/none', 'am://data/nothing', Op.ADMIN, NOW)).toBe(false);
    expect(errorOf(e.check('am://user/none', 'am://data/nothing', [Op.ADMIN], NOW)).code).toBe('not-found');
  });
});

describe('§5.3 effective roles', () => {
  const e = universe(
    {
      user: [{ path: 'am://user/team', meta: [{ tag: 'applied-role', role: R('b') }], children: [leaf('am://user/team/m', [{ tag: 'applied-role', role: R('c') }])] }],
    },
    [{ tag: 'applied-role', role: R('a') }],
  );

  test('roles applied at am:// do not count, ancestors and the node do', () => {
    expect(valueOf(e.effectiveRoles('am://user/team/m', NOW))).toEqual([R('b'), R('c')]);
  });

  test('details still show roles applied at am:// as inherited', () => {
    expect(valueOf(e.details('am://user/team/m', 'am://user/team/m', {}, NOW)).details.inheritedRoles.map((r) => r.role)).toEqual([R('a'), R('b')]);
  });
});

describe('§2.5 time windows (clock injected)', () => {
  const T = NOW;
  const e = universe({
    user: [
      leaf('am://user/temp', [
        { tag: 'applied-role', role: R('a'), startMillis: T + 1000, endMillis: T + 2000 },
        { tag: 'note', data: 'soon', startMillis: T + 1000 },
        { tag: 'note', data: 'gone', endMillis: T, unique: 31 },
      ]),
    ],
    data: [leaf('am://data/d', [{ tag: 'ace', op: 'READ', acls: [{ roles: [R('a')] }] }, { tag: 'ace', op: 'WRITE', acls: [{ roles: [R('c')] }], endMillis: T + 500 }])],
  });

  test('an applied role is effective only inside its window, both ends enforced', () => {
    const at = (t: number) => e.isAllowed('am://user/temp', 'am://data/d', Op.READ, t);
    expect([at(T), at(T + 999), at(T + 1000), at(T + 1999), at(T + 2000), at(T + 500)]).toEqual([false, false, true, true, false, false]);
  });

  test('an expired ACE vanishes, which makes access more permissive', () => {
    expect(e.isAllowed('am://user/temp', 'am://data/d', Op.WRITE, T + 499)).toBe(false);
    expect(e.isAllowed('am://user/temp', 'am://data/d', Op.WRITE, T + 500)).toBe(true);
  });

  test('an expired annotation can still be deleted (and its identity is taken) — cleanup needs it', () => {
    expect(e.authorize('am://user/temp', { kind: 'delete-annotation', path: 'am://user/temp', tag: 'note', unique: 31n }, T).ok).toBe(true);
    expect(errorOf(e.authorize('am://user/temp', { kind: 'put-annotation', path: 'am://user/temp', annotation: note('again', { unique: 31n }) }, T)).code).toBe('already-exists');
  });

  test('inactive annotations are not shown', () => {
    expect(valueOf(e.details('am://user/temp', 'am://user/temp', {}, T)).details.annotations.map((a) => a.data)).toEqual([]);
    expect(valueOf(e.details('am://user/temp', 'am://user/temp', {}, T + 1500)).details).toMatchObject({ roles: [{ role: R('a') }], annotations: [{ data: 'soon' }] });
  });
});

describe('§6 agent ACEs (option a: implemented)', () => {
  // The pipeline example: prod/dev roles on data directories; an agent VIEW ACE on the production
  // workloads keeps them from even seeing non-production data.
  const e = universe({
    role: ['prod', 'dev'].map((n) => leaf(R(n))),
    workload: [
      {
        path: 'am://workload/prod',
        meta: [{ tag: 'ace', op: 'VIEW', agent: true, acls: [{ roles: [R('prod')] }] }],
        children: [leaf('am://workload/prod/job'), leaf('am://workload/prod/local-only', [{ tag: 'ace', op: 'READ', agent: true, local: true, acls: [{ roles: [R('prod')] }] }])],
      },
      leaf('am://workload/free'),
    ],
    data: [
      { path: 'am://data/prod', meta: [{ tag: 'applied-role', role: R('prod') }], children: [leaf('am://data/prod/x')] },
      { path: 'am://data/dev', meta: [{ tag: 'applied-role', role: R('dev') }], children: [leaf('am://data/dev/x')] },
    ],
  });

  test('allowed iff target ACEs hold for the agent AND agent ACEs hold for the target roles', () => {
    expect(e.isAllowed('am://workload/prod/job', 'am://data/prod/x', Op.VIEW, NOW)).toBe(true);
    expect(e.isAllowed('am://workload/prod/job', 'am://data/dev/x', Op.VIEW, NOW)).toBe(false);
    expect(e.isAllowed('am://workload/free', 'am://data/dev/x', Op.VIEW, NOW)).toBe(true);
  });

  test('agent ACEs are never evaluated as target ACEs', () => {
    expect(e.isAllowed('am://workload/free', 'am://workload/prod/job', Op.VIEW, NOW)).toBe(true);
  });

  test('local agent ACEs count only for the agent they are attached to', () => {
    expect(e.isAllowed('am://workload/prod/local-only', 'am://data/dev/x', Op.READ, NOW)).toBe(false);
    expect(e.isAllowed('am://workload/prod/job', 'am://data/dev/x', Op.READ, NOW)).toBe(true);
  });

  test('details report the agent flag', () => {
    expect(valueOf(e.details('am://workload/free', 'am://workload/prod', {}, NOW)).details.aces[0]).toMatchObject({ op: 'VIEW', agent: true });
  });
});

describe('§7 visibility and redaction', () => {
  const e = fixtureEngine('new_sample');

  test('redacted output keeps tag, unique, version, times and ACL shape', () => {
    const bob = valueOf(e.details('am://user/hpe/bu1/bob', 'am://user/hpe/bu1/alice', {}, NOW)).details;
    const alice = valueOf(e.details('am://user/hpe/bu1/alice', 'am://user/hpe/bu1/alice', {}, NOW)).details;
    expect(bob.roles[0]).toEqual({ ...alice.roles[0], role: REDACTED_ROLE });
    expect(bob.inheritedAces.map((a) => a.acls.map((acl) => acl.roles.length))).toEqual(alice.inheritedAces.map((a) => a.acls.map((acl) => acl.roles.length)));
  });

  test('invisible roles keep working for enforcement', () => {
    expect(e.isAllowed('am://user/hpe/bu1/alice', 'am://user/hpe/bu1/invisible-man', Op.VIEW, NOW)).toBe(true);
  });
});

describe('bootstrap universe', () => {
  const e = fixtureEngine('bootstrap');
  const OP = 'am://user/the-operator';

  test('the operator is a leaf and a demonstration identity; ls -r am:// shows the README tree', () => {
    expect(valueOf(e.details(OP, OP, {}, NOW)).details.isDirectory).toBe(false);
    expect(valueOf(e.details(OP, 'am://role/operator-admin', {}, NOW)).details.isDirectory).toBe(false);
    expect(valueOf(e.authenticateDemoIdentity(OP, { allowDemoIdentities: true }, NOW))).toBe(OP);
    expect(valueOf(e.details(OP, 'am://', { includeChildren: true }, NOW)).children).toEqual(['am://data', 'am://role', 'am://user', 'am://workload']);
    expect(valueOf(e.details(OP, 'am://role', { includeChildren: true }, NOW)).children).toEqual(['am://role/operator-admin']);
    expect(valueOf(e.details(OP, 'am://user', { includeChildren: true }, NOW)).children).toEqual([OP]);
  });

  test('after adding an ssh key the plain path is refused', () => {
    const change = valueOf(e.authorize(OP, { kind: 'put-annotation', path: OP, annotation: note('ssh-ed25519 AAAA k', { tag: 'ssh-pubkey' }) }, NOW));
    const copy = AccessEngine.fromUniverse(e.toUniverse());
    copy.apply(change);
    expect(errorOf(copy.authenticateDemoIdentity(OP, { allowDemoIdentities: true }, NOW)).message).toBe('invalid credential');
  });

  test('the operator can apply its role and use it in ACEs', () => {
    expect(e.authorize(OP, { kind: 'put-annotation', path: 'am://user/the-operator', annotation: appliedRole('am://role/operator-admin') }, NOW).ok).toBe(true);
    expect(e.authorize(OP, { kind: 'put-annotation', path: 'am://data', annotation: aceOf(Op.VIEW, [['am://role/operator-admin']]) }, NOW).ok).toBe(true);
  });
});

describe('query arguments', () => {
  const e = fixtureEngine('new_sample');
  test('paths are normalised on input and bad ones are invalid-argument (§9.2 step 2)', () => {
    expect(valueOf(e.details('am://user/demo-god', 'am://user/', {}, NOW)).details.path).toBe('am://user');
    expect(errorOf(e.details('am://user/demo-god', 'am://user//x', {}, NOW)).code).toBe('invalid-argument');
    expect(errorOf(e.check('am://user/demo-god', 'am://nowhere', [Op.VIEW], NOW)).code).toBe('invalid-argument');
  });
});
