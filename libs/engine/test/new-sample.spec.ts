/** Worked examples of access-model.md and universe-format §9 on the unmodified reference universes. */
import { Op, REDACTED_ROLE } from '@am/model';
import { aceOf, appliedRole, errorOf, fixtureEngine, note, NOW, valueOf } from './helpers';

const engine = fixtureEngine('new_sample');
const ALICE = 'am://user/hpe/bu1/alice';
const BOB = 'am://user/hpe/bu1/bob';
const DEMO_GOD = 'am://user/demo-god';
const OPERATOR = 'am://user/the-operator';

describe('new_sample worked examples', () => {
  test('§4.4: ADMIN on bu1/alice needs bu1-admin', () => {
    const explanation = valueOf(engine.explain(DEMO_GOD, BOB, ALICE, [Op.ADMIN], NOW));
    const kept = explanation.operations[0].aces.filter((a) => a.side === 'target');
    expect(kept.map((a) => [a.attachedAt, a.acls.map((acl) => acl.roles)])).toEqual([['am://user/hpe/bu1', [['am://role/hpe/bu1/bu1-admin']]]]);
    expect(engine.isAllowed(ALICE, ALICE, Op.ADMIN, NOW)).toBe(true);
    expect(engine.isAllowed(BOB, ALICE, Op.ADMIN, NOW)).toBe(false);
  });

  test('§5.3: effective roles of bu1/alice', () => {
    expect(valueOf(engine.effectiveRoles(ALICE, NOW))).toEqual(['am://role/hpe/hpe-user', 'am://role/hpe/bu1/bu1-user', 'am://role/hpe/bu1/bu1-admin']);
  });

  test('alice sees am://user/{hpe,small}; demo-god sees all five user children', () => {
    expect(valueOf(engine.details(ALICE, 'am://user', { includeChildren: true }, NOW)).children).toEqual(['am://user/hpe', 'am://user/small']);
    expect(valueOf(engine.details(DEMO_GOD, 'am://user', { includeChildren: true }, NOW)).children).toEqual([
      'am://user/demo-god',
      'am://user/hpe',
      'am://user/small',
      'am://user/the-operator',
      'am://user/yoyodyne',
    ]);
  });

  test('bob sees alice but her admin role is redacted, and cannot see invisible-man', () => {
    const details = valueOf(engine.details(BOB, ALICE, {}, NOW)).details;
    expect(details.roles.map((r) => r.role)).toEqual([REDACTED_ROLE]);
    expect(details.inheritedRoles.map((r) => r.role)).toEqual(['am://role/hpe/hpe-user', 'am://role/hpe/bu1/bu1-user']);
    // Within a node the order is by unique (random here), so compare as a set.
    expect(details.inheritedAces.map((a) => [a.op, a.acls[0].roles]).sort()).toEqual([
      ['ADMIN', [REDACTED_ROLE]],
      ['VIEW', ['am://role/hpe/hpe-user', REDACTED_ROLE]],
      ['WRITE', [REDACTED_ROLE]],
    ]);
    expect(details.annotations.map((a) => a.tag)).toEqual(['principal']);
    expect(errorOf(engine.details(BOB, 'am://user/hpe/bu1/invisible-man', {}, NOW))).toEqual({
      code: 'not-found',
      message: 'object not found for am://user/hpe/bu1/invisible-man',
    });
    expect(valueOf(engine.details(BOB, 'am://user/hpe/bu1', { includeChildren: true }, NOW)).children).not.toContain('am://user/hpe/bu1/invisible-man');
  });

  test('§8.5: demo-god cannot vouch for the-operator (VOUCHFOR default deny)', () => {
    expect(engine.isAllowed(DEMO_GOD, OPERATOR, Op.VIEW, NOW)).toBe(true);
    expect(errorOf(engine.authorizeVouch(DEMO_GOD, OPERATOR, NOW)).code).toBe('permission-denied');
  });

  test('the yoyodyne plugin can see and vouch for every yoyodyne user', () => {
    for (const user of ['alice', 'bob', 'charlie', 'david', 'eve']) {
      expect(valueOf(engine.authorizeVouch('am://workload/yoyodyne/id-plugin', `am://user/yoyodyne/${user}`, NOW))).toBe(`am://user/yoyodyne/${user}`);
    }
  });

  test('compat walkthrough: yoyodyne/bob lists am://user as {small, yoyodyne}; the operator cannot vouch (not found, §7)', () => {
    expect(valueOf(engine.details('am://user/yoyodyne/bob', 'am://user', { includeChildren: true }, NOW)).children).toEqual(['am://user/small', 'am://user/yoyodyne']);
    expect(errorOf(engine.authorizeVouch(OPERATOR, 'am://user/yoyodyne/bob', NOW)).code).toBe('not-found');
  });

  test('the hpe plugin cannot even see am://user/hpe', () => {
    expect(errorOf(engine.details('am://workload/hpe/id-plugin', 'am://user/hpe', {}, NOW)).code).toBe('not-found');
  });

  test('yoyodyne users are not demonstration identities; the others are', () => {
    const settings = { allowDemoIdentities: true };
    expect(errorOf(engine.authenticateDemoIdentity('am://user/yoyodyne/bob', settings, NOW)).message).toBe(
      'invalid credential',
    );
    expect(valueOf(engine.authenticateDemoIdentity(ALICE, settings, NOW))).toBe(ALICE);
    expect(valueOf(engine.authenticateDemoIdentity('am://workload/yoyodyne/id-plugin', settings, NOW))).toBe('am://workload/yoyodyne/id-plugin');
  });

  test('yoyodyne/bob obtains a delegation credential for daos1 carrying raw and ref', () => {
    expect(valueOf(engine.authorizeDatasetCredential('am://user/yoyodyne/bob', 'am://data/yoyodyne/daos1', [], NOW))).toEqual({
      kind: 'delegation',
      dataset: 'am://data/yoyodyne/daos1',
      roles: ['am://role/yoyodyne/daos/raw', 'am://role/yoyodyne/daos/ref'],
    });
  });

  test('roles named in a delegation ACE need View + USEROLE; the target ACE is judged on the presenter\'s effective roles', () => {
    const bob = 'am://user/yoyodyne/bob';
    expect(valueOf(engine.authorizeRoleUse(bob, ['am://role/yoyodyne/id-plugin', 'am://role/yoyodyne/daos/raw'], NOW))).toBeUndefined();
    // yoyo-admin is invisible to bob: the same not-found as for an ACE on the tree.
    expect(errorOf(engine.authorizeRoleUse(bob, ['am://role/yoyodyne/yoyo-admin'], NOW))).toEqual({ code: 'not-found', message: 'role am://role/yoyodyne/yoyo-admin not found' });
    expect(errorOf(engine.authorizeRoleUse(bob, ['am://role/yoyodyne/daos'], NOW)).code).toBe('not-found');
    const target = { acls: [{ roles: ['am://role/yoyodyne/id-plugin'] }, { roles: ['am://role/yoyodyne/yoyo-user', 'am://role/yoyodyne/daos/raw'] }] };
    expect(valueOf(engine.satisfiesDelegationAce('am://workload/yoyodyne/id-plugin', target, NOW))).toBe(false);
    expect(valueOf(engine.satisfiesDelegationAce(bob, { acls: target.acls.slice(1) }, NOW))).toBe(true);
    expect(valueOf(engine.satisfiesDelegationAce(bob, target, NOW))).toBe(false);
    expect(errorOf(engine.satisfiesDelegationAce('am://user/nobody', target, NOW)).code).toBe('unauthenticated');
  });

  test('demo-god sees everything but can change nothing', () => {
    expect(valueOf(engine.details(DEMO_GOD, 'am://user/hpe/bu1/invisible-man', {}, NOW)).details.path).toBe('am://user/hpe/bu1/invisible-man');
    const put = engine.authorize(DEMO_GOD, { kind: 'put-annotation', path: ALICE, annotation: note('x') }, NOW);
    expect(errorOf(put).code).toBe('permission-denied');
    expect(errorOf(engine.authorize(DEMO_GOD, { kind: 'create-node', path: 'am://user/hpe/bu1/zed', directory: false }, NOW)).code).toBe('permission-denied');
  });

  test('alice administers bu1: create, delete, apply and use bu1 roles', () => {
    expect(engine.authorize(ALICE, { kind: 'create-node', path: 'am://user/hpe/bu1/tom', directory: false }, NOW).ok).toBe(true);
    expect(engine.authorize(ALICE, { kind: 'delete-node', path: 'am://user/hpe/bu1/bob' }, NOW).ok).toBe(true);
    const apply = engine.authorize(ALICE, { kind: 'put-annotation', path: BOB, annotation: appliedRole('am://role/hpe/bu1/bu1-query') }, NOW);
    expect(apply.ok).toBe(true);
    const ace = engine.authorize(ALICE, { kind: 'put-annotation', path: 'am://data/hpe/bu1/special', annotation: aceOf(Op.READ, [['am://role/hpe/bu1/bu1-query']]) }, NOW);
    expect(ace.ok).toBe(true);
  });

  test('alice cannot see yoyodyne, the operator or panopticon (redacted in ACLs she sees)', () => {
    for (const p of ['am://user/yoyodyne', OPERATOR, 'am://role/panopticon']) expect(errorOf(engine.details(ALICE, p, {}, NOW)).code).toBe('not-found');
    const hpe = valueOf(engine.details(ALICE, 'am://user/hpe', {}, NOW)).details;
    expect(hpe.aces.find((a) => a.op === 'VIEW')?.acls[0].roles).toEqual(['am://role/hpe/hpe-user', REDACTED_ROLE]);
  });

  test('dangling role am://role/yoyodyne/yoyo-special is shown redacted, details succeed', () => {
    const details = valueOf(engine.details(DEMO_GOD, 'am://user/yoyodyne/charlie', {}, NOW)).details;
    expect(details.roles.map((r) => r.role)).toEqual([REDACTED_ROLE]);
  });

  test('small: ADMIN restricted to the operator, READ on a/x1', () => {
    expect(engine.isAllowed(OPERATOR, 'am://user/small/a/x1/y1', Op.ADMIN, NOW)).toBe(true);
    expect(engine.isAllowed(ALICE, 'am://user/small/a/x1/y1', Op.ADMIN, NOW)).toBe(false);
    expect(engine.isAllowed(ALICE, 'am://user/small/a/x1/y1', Op.READ, NOW)).toBe(false);
    expect(engine.isAllowed(ALICE, 'am://user/small/a/x2/y1', Op.READ, NOW)).toBe(true);
  });

  test('G14: any hpe user can administer bu2/alice (local ADMIN + default allow)', () => {
    const explanation = valueOf(engine.explain(BOB, BOB, 'am://user/hpe/bu2/alice', [Op.ADMIN], NOW));
    expect(explanation.operations[0]).toMatchObject({ allowed: true, byDefault: 'allowed by default (no ACE)', aces: [] });
  });

  test('hpe workloads cannot see any hpe data', () => {
    expect(engine.isAllowed('am://workload/hpe/bu1/ingester', 'am://data/hpe', Op.VIEW, NOW)).toBe(false);
  });
});
