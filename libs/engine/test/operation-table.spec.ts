/**
 * The requirement table of access-model §9.1, one row per case, on the acme universe.
 * Each case: caller, request, and either the expected error (code + message fragment) or success.
 */
import { AccessEngine, ChangeRequest } from '@am/engine';
import { Op, Operation, REDACTED_ROLE } from '@am/model';
import { ACME_UNIVERSE, role, U } from './acme-universe';
import { aceOf, appliedRole, engineFromJson, errorOf, note, NOW, valueOf } from './helpers';

let engine: AccessEngine;
beforeEach(() => {
  engine = engineFromJson(ACME_UNIVERSE);
});

type Expect = 'ok' | [code: string, fragment: string];
type Row = [name: string, caller: string, request: ChangeRequest, expected: Expect];

function runRows(rows: Row[]): void {
  test.each(rows)('%s', (_name, caller, request, expected) => {
    const result = engine.authorize(caller, request, NOW);
    if (expected === 'ok') {
      expect(valueOf(result).kind).toBe(request.kind);
      return;
    }
    const error = errorOf(result);
    expect(error.code).toBe(expected[0]);
    expect(error.message).toContain(expected[1]);
  });
}

const create = (path: string, directory = false): ChangeRequest => ({ kind: 'create-node', path, directory });
const del = (path: string, recursive = false): ChangeRequest => ({ kind: 'delete-node', path, recursive });
const put = (path: string, annotation: ReturnType<typeof note>, force = false): ChangeRequest => ({ kind: 'put-annotation', path, annotation, force });
const delAnn = (path: string, tag: string, unique: bigint, expectedVersion?: number): ChangeRequest => ({ kind: 'delete-annotation', path, tag, unique, expectedVersion });

describe('create object / directory', () => {
  runRows([
    ['boss creates a leaf in acme', U.boss, create('am://user/acme/new'), 'ok'],
    ['boss creates a directory in acme', U.boss, create('am://user/acme/dir', true), 'ok'],
    ['plain member lacks WRITE on the parent', U.pat, create('am://user/acme/new'), ['permission-denied', 'permission denied for object creation']],
    ['parent invisible = not found', U.outsider, create('am://user/acme/new'), ['not-found', 'am://user/acme not found']],
    ['parent missing = not found', U.boss, create('am://user/acme/nope/x'), ['not-found', 'am://user/acme/nope not found']],
    ["parent's local WRITE ACE counts (G2)", U.boss, create(`${U.sub}/x`), ['permission-denied', 'permission denied for object creation']],
    ["root's local WRITE ACE counts (G2)", U.pat, create('am://user/pat2'), ['permission-denied', 'permission denied for object creation']],
    ['operator may create at the top of user', U.op, create('am://user/newco', true), 'ok'],
    ['nothing new directly under am://', U.op, create('am://user2'), ['invalid-argument', 'first component']],
    ['the roots are fixed', U.op, create('am://user'), ['invalid-argument', 'cannot create am://user']],
    ['bad path', U.boss, create('am://user/acme/a b'), ['invalid-argument', 'invalid path']],
    ['no children under a leaf', U.boss, create(`${U.pat}/x`), ['failed-precondition', 'is not a directory']],
    ['existing path: conflict after the permission check', U.boss, create(U.pat), ['already-exists', 'already exists']],
    ['existing invisible path: the name is taken, nothing more', U.boss, create(U.ghost), ['already-exists', `${U.ghost} already exists`]],
    ['§9.2: permission denied wins over already exists', U.pat, create(U.boss), ['permission-denied', 'permission denied for object creation']],
  ]);

  test('a created node gets its structural annotation', () => {
    const change = valueOf(engine.authorize(U.boss, create('am://user/acme/dir', true), NOW));
    expect(change).toMatchObject({ kind: 'create-node', annotations: [{ tag: 'dir' }] });
    engine.apply(change);
    expect(valueOf(engine.details(U.boss, 'am://user/acme/dir', {}, NOW)).details.isDirectory).toBe(true);
  });
});

describe('delete object', () => {
  runRows([
    ['boss deletes a member', U.boss, del(U.pat), 'ok'],
    ['member lacks WRITE on the parent', U.pat, del(U.boss), ['permission-denied', 'permission denied on directory am://user/acme']],
    ['target invisible = not found', U.outsider, del(U.pat), ['not-found', `object ${U.pat} not found`]],
    ['hidden principal = not found for boss', U.boss, del(U.ghost), ['not-found', `object ${U.ghost} not found`]],
    ['missing = not found', U.boss, del('am://user/acme/nobody'), ['not-found', 'object am://user/acme/nobody not found']],
    ['roots cannot be deleted', U.op, del('am://user'), ['invalid-argument', 'cannot delete a root']],
    ['am:// cannot be deleted', U.op, del('am://'), ['invalid-argument', 'cannot delete a root']],
    ['non-empty directory needs the recursive flag', U.op, del(U.sub), ['failed-precondition', `directory ${U.sub} is not empty, cannot be deleted without recursive flag`]],
    ['deletion needs WRITE on the parent, not inherited WRITE on the target (G3)', U.pat, del(`${U.sub}/deep`), ['permission-denied', `permission denied on directory ${U.sub}`]],
  ]);
});

describe('delete recursively', () => {
  runRows([
    ['operator deletes acme with everything in it', U.op, del('am://user/acme', true), 'ok'],
    ['boss may not delete acme itself', U.boss, del('am://user/acme', true), ['permission-denied', 'permission denied on directory am://user']],
    ['boss: components listed are the visible ones only', U.boss, del(U.sub, true), ['permission-denied', `permission denied for recursive deletion of directory ${U.sub} for components [${U.sub}/deep]`]],
    ['boss: invisible descendants still count', U.boss, del(U.box, true), ['permission-denied', `permission denied for recursive deletion of directory ${U.box} for components []`]],
    ['operator deletes sub recursively', U.op, del(U.sub, true), 'ok'],
  ]);

  test('the approved change lists every descendant, deepest first, and applying it removes them all', () => {
    const change = valueOf(engine.authorize(U.op, del(U.sub, true), NOW));
    expect(change).toMatchObject({ kind: 'delete-node', path: U.sub, removed: [`${U.sub}/hush`, `${U.sub}/deep`, U.sub] });
    engine.apply(change);
    expect(engine.has(`${U.sub}/deep`) || engine.has(U.sub)).toBe(false);
  });
});

describe('annotate with a free-form annotation', () => {
  runRows([
    ['boss annotates a member', U.boss, put(U.pat, note('hello')), 'ok'],
    ['ssh key by an administrator', U.boss, put(U.pat, note('ssh-ed25519 AAAA', { tag: 'ssh-pubkey' })), 'ok'],
    ['member lacks ADMIN', U.pat, put(U.boss, note('x')), ['permission-denied', 'permission denied']],
    ['invisible = not found, never permission denied', U.outsider, put(U.pat, note('x')), ['not-found', `${U.pat} not found`]],
    ['structural tag dir is refused (G8)', U.boss, put(U.pat, note('', { tag: 'dir' })), ['invalid-argument', 'structural tag']],
    ['structural tag leaf is refused (G8)', U.boss, put(U.pat, note('', { tag: 'leaf' })), ['invalid-argument', 'structural tag']],
    ['bad tag', U.boss, put(U.pat, note('', { tag: 'ssh_pubkey' })), ['invalid-argument', 'invalid tag']],
    ['§9.2: argument errors come before not found', U.outsider, put(U.ghost, note('', { tag: 'Bad' })), ['invalid-argument', 'invalid tag']],
    ['create-only on an existing annotation', U.boss, put(U.boss, note('x', { unique: 5n })), ['already-exists', 'already exists']],
    ['compare-and-set with a stale version', U.boss, put(U.boss, note('x', { unique: 5n, version: 7 })), ['conflict', 'version mismatch']],
    ['compare-and-set with the current version', U.boss, put(U.boss, note('x', { unique: 5n, version: 1 })), 'ok'],
    ['unconditional replace', U.boss, put(U.boss, note('x', { unique: 5n, version: -1 })), 'ok'],
    ['§9.2: permission denied wins over a version conflict', U.pat, put(U.boss, note('x', { unique: 5n, version: 7 })), ['permission-denied', 'permission denied']],
  ]);

  test('new uniques are assigned and versions computed', () => {
    const fresh = valueOf(engine.authorize(U.boss, put(U.pat, note('hello')), NOW));
    expect(fresh).toMatchObject({ kind: 'put-annotation', annotation: { version: 1 } });
    expect(fresh.kind === 'put-annotation' && fresh.annotation.unique).not.toBe(0n);
    const replaced = valueOf(engine.authorize(U.boss, put(U.boss, note('x', { unique: 5n, version: -1 })), NOW));
    expect(replaced).toMatchObject({ annotation: { version: 2 }, previous: { unique: 5n, version: 1 } });
  });
});

describe('apply and remove roles', () => {
  runRows([
    ['boss applies a visible acme role', U.boss, put(U.pat, appliedRole(role('member'))), 'ok'],
    ['member lacks ADMIN on the target', U.pat, put(U.boss, appliedRole(role('member'))), ['permission-denied', 'permission denied']],
    ['member lacks APPLYROLE on the role', U.pat, put(U.outsider, appliedRole(role('boss'))), ['permission-denied', `permission denied for applying role ${role('boss')}`]],
    ['invisible role = not found', U.boss, put(U.pat, appliedRole(role('secret'))), ['not-found', `role ${role('secret')} not found`]],
    ['non-existent role = the same not found', U.boss, put(U.pat, appliedRole(role('nobody'))), ['not-found', `role ${role('nobody')} not found`]],
    ['a role directory is not a role', U.boss, put(U.pat, appliedRole('am://role/acme')), ['not-found', 'role am://role/acme not found']],
    ['a role must live under am://role', U.boss, put(U.pat, appliedRole(U.boss)), ['not-found', `role ${U.boss} not found`]],
    ['roles without APPLYROLE ACE: default allow', U.pat, put(U.outsider, appliedRole(role('other'))), 'ok'],
    ['applying at am:// is refused', U.op, put('am://', appliedRole(role('op'))), ['invalid-argument', 'cannot apply a role at am://']],
    ['applied roles on data paths are allowed (agent ACEs are on)', U.boss, put(U.ds, appliedRole(role('member'))), 'ok'],
    ['replacing checks the old role first (G11)', U.pat, put(U.outsider, appliedRole(role('other'), { unique: 77n, version: -1 })), ['permission-denied', `permission denied for applying role ${role('boss')}`]],
    ['replacing an invisible old role names it redacted', U.pat, put(U.outsider, appliedRole(role('other'), { unique: 79n, version: -1 })), ['permission-denied', `permission denied for applying role ${REDACTED_ROLE}`]],
    ['replacing a dangling old role skips it', U.pat, put(U.outsider, appliedRole(role('other'), { unique: 78n, version: -1 })), 'ok'],
    ['boss removes the boss role from the outsider', U.boss, delAnn(U.outsider, 'applied-role', 77n), 'ok'],
    ['member may not remove it', U.pat, delAnn(U.outsider, 'applied-role', 77n), ['permission-denied', `permission denied, must have View and ApplyRole permissions for ${role('boss')}`]],
    ['removing an invisible role names it redacted', U.pat, delAnn(U.outsider, 'applied-role', 79n), ['permission-denied', `must have View and ApplyRole permissions for ${REDACTED_ROLE}`]],
    ['dangling applied roles can be cleaned up', U.pat, delAnn(U.outsider, 'applied-role', 78n), 'ok'],
    ['absent annotation = not found', U.boss, delAnn(U.outsider, 'applied-role', 999n), ['not-found', `no applied-role/999 annotation found on ${U.outsider}`]],
    ['§9.2: View on the node is checked before the annotation exists', U.outsider, delAnn(U.ghost, 'applied-role', 999n), ['not-found', `${U.ghost} not found`]],
  ]);
});

describe('add, replace and delete ACEs', () => {
  runRows([
    ['boss adds an ACE with acme roles', U.boss, put(U.ds, aceOf(Op.READ, [[role('member')]])), 'ok'],
    ['an agent ACE is accepted, never dropped', U.boss, put(U.ds, aceOf(Op.READ, [[role('member')]], { agent: true })), 'ok'],
    ['member lacks ADMIN', U.pat, put(U.ds, aceOf(Op.READ, [[role('member')]])), ['permission-denied', 'permission denied']],
    ['member lacks USEROLE', U.pat, put(U.outsider, aceOf(Op.READ, [[role('boss')]])), ['permission-denied', `permission denied for using role ${role('boss')} in permission`]],
    ['unknown roles are refused (G31)', U.boss, put(U.ds, aceOf(Op.READ, [[role('nobody')]])), ['not-found', `role ${role('nobody')} not found`]],
    ['invisible roles are not found', U.boss, put(U.ds, aceOf(Op.READ, [[role('member'), role('secret')]])), ['not-found', `role ${role('secret')} not found`]],
    ['INVALID operation is refused (G31)', U.boss, put(U.ds, aceOf(0 as Operation, [[role('member')]])), ['invalid-argument', 'invalid operation']],
    ['replacing checks the old roles too (G11)', U.pat, put(U.outsider, aceOf(Op.READ, [[role('other')]], { unique: 60n, version: -1 })), ['permission-denied', `permission denied for using role ${role('boss')} in permission`]],
    ['replacing by the boss', U.boss, put(U.outsider, aceOf(Op.READ, [[role('other')]], { unique: 60n, version: 1 })), 'ok'],
    ['member may not delete an ACE naming boss', U.pat, delAnn(U.outsider, 'ace', 60n), ['permission-denied', `cannot delete ACE, permission denied for using role ${role('boss')}`]],
    ['boss deletes it', U.boss, delAnn(U.outsider, 'ace', 60n), 'ok'],
    ['ACEs naming missing roles can be cleaned up', U.pat, delAnn(U.outsider, 'ace', 61n), 'ok'],
    ['self-lockout guard: boss would lose View', U.boss, put(U.pat, aceOf(Op.VIEW, [[role('other')]])), ['failed-precondition', 'would remove your own View permission']],
    ['self-lockout guard: boss would lose Admin', U.boss, put(U.pat, aceOf(Op.ADMIN, [[role('other')]])), ['failed-precondition', 'would remove your own Admin permission']],
    ['…unless forced', U.boss, put(U.pat, aceOf(Op.VIEW, [[role('other')]]), true), 'ok'],
    ['an ACE the caller still satisfies is fine', U.boss, put(U.pat, aceOf(Op.ADMIN, [[role('boss')]])), 'ok'],
    ['replacing an ACE whose old roles no longer exist skips them', U.pat, put(U.outsider, aceOf(Op.READ, [[role('other')]], { unique: 61n, version: -1 })), 'ok'],
  ]);
});

/** §4.1 + §9.1 "Add ACE": an ACL naming no role is never satisfied, and writing one is valid. */
describe('"nobody may": an ACL without roles', () => {
  runRows([
    ['is accepted from an administrator (READ [[]]: nobody may read)', U.boss, put(U.ds, aceOf(Op.READ, [[]])), 'ok'],
    ['…also beside satisfiable ACLs', U.boss, put(U.ds, aceOf(Op.WRITE, [[role('member')], []])), 'ok'],
    ['§9.2: an invisible node is not found first', U.outsider, put(U.ds, aceOf(Op.READ, [[]])), ['not-found', `${U.ds} not found`]],
    ['§9.2: a missing node is the same not found', U.boss, put('am://data/acme/nope', aceOf(Op.READ, [[]])), ['not-found', 'am://data/acme/nope not found']],
    ['§9.2: then ADMIN on the node', U.pat, put(U.ds, aceOf(Op.READ, [[]])), ['permission-denied', `cannot change annotations of ${U.ds}`]],
    ['…and force does not skip ADMIN', U.pat, put(U.ds, aceOf(Op.READ, [[]]), true), ['permission-denied', `cannot change annotations of ${U.ds}`]],
    ['then the self-lockout guard: VIEW [[]] would lock the caller out', U.boss, put(U.pat, aceOf(Op.VIEW, [[]])), ['failed-precondition', 'would remove your own View permission']],
    ['…ADMIN [[]] too', U.boss, put(U.pat, aceOf(Op.ADMIN, [[]])), ['failed-precondition', 'would remove your own Admin permission']],
    ['…which force overrides', U.boss, put(U.pat, aceOf(Op.ADMIN, [[]]), true), 'ok'],
  ]);

  test('once written, nobody may read: not the administrator who wrote it, not the operator', () => {
    for (const who of [U.boss, U.op, U.pat]) expect(engine.check(who, U.ds, [Op.VIEW], NOW).ok).toBe(true);
    expect(engine.check(U.boss, U.ds, [Op.READ], NOW).ok).toBe(true);
    engine.apply(valueOf(engine.authorize(U.boss, put(U.ds, aceOf(Op.READ, [[]])), NOW)));
    for (const who of [U.boss, U.op, U.pat]) expect(errorOf(engine.check(who, U.ds, [Op.READ], NOW))).toEqual({ code: 'permission-denied', message: `[READ] not allowed on ${U.ds}` });
    expect(engine.check(U.boss, U.ds, [Op.VIEW], NOW).ok).toBe(true);
  });
});

describe('delete free-form annotations', () => {
  runRows([
    ['boss deletes a note', U.boss, delAnn(U.boss, 'note', 5n), 'ok'],
    ['with the right expected version', U.boss, delAnn(U.boss, 'note', 5n, 1), 'ok'],
    ['with a stale expected version', U.boss, delAnn(U.boss, 'note', 5n, 3), ['conflict', 'version mismatch']],
    ['member lacks ADMIN', U.pat, delAnn(U.boss, 'note', 5n), ['permission-denied', `permission denied, must have View and Admin permissions for ${U.boss}`]],
    ['invisible node = not found', U.outsider, delAnn(U.boss, 'note', 5n), ['not-found', `${U.boss} not found`]],
    ['structural annotations cannot be deleted', U.boss, delAnn(U.pat, 'leaf', 1n), ['invalid-argument', 'structural tag']],
  ]);
});

describe('details and list children', () => {
  test('View is required; invisible = object not found', () => {
    expect(errorOf(engine.details(U.boss, U.ghost, {}, NOW))).toEqual({ code: 'not-found', message: `object not found for ${U.ghost}` });
    expect(errorOf(engine.details(U.boss, 'am://user/acme/nobody', {}, NOW))).toEqual({ code: 'not-found', message: 'object not found for am://user/acme/nobody' });
  });

  test('children are the visible ones, sorted by path', () => {
    expect(valueOf(engine.details(U.boss, 'am://user/acme', { includeChildren: true }, NOW)).children).toEqual([U.boss, U.box, U.pat, U.sub]);
    expect(valueOf(engine.details(U.op, 'am://user/acme', { includeChildren: true }, NOW)).children).toEqual([U.boss, U.box, U.ghost, U.pat, U.sub]);
    expect(valueOf(engine.details(U.op, 'am://user/acme', {}, NOW)).children).toEqual([]);
  });

  test('details list markers and free-form annotations, never dir/leaf', () => {
    const details = valueOf(engine.details(U.boss, U.ds, {}, NOW)).details;
    expect(details.annotations.map((a) => a.tag)).toEqual(['data', 'data-info']);
    expect(details.isDirectory).toBe(false);
    expect(details.aces.map((a) => a.op).sort()).toEqual(['READ', 'WRITE']);
    expect(details.inheritedAces.map((a) => a.op).sort()).toEqual(['ADMIN', 'VIEW']);
  });

  test('unauthenticated caller: a principal that does not exist', () => {
    expect(errorOf(engine.details('am://user/nobody', U.pat, {}, NOW))).toEqual({ code: 'unauthenticated', message: 'am://user/nobody not found' });
  });
});

describe('vouch', () => {
  test.each([
    ['the plugin vouches for an acme user', U.plugin, U.pat, 'ok'],
    ['the boss is not the plugin', U.boss, U.pat, ['permission-denied', 'permission denied']],
    ['invisible principal = not found', U.outsider, U.pat, ['not-found', `${U.pat} not found`]],
    ['no VOUCHFOR ACE = nobody may vouch (default deny)', U.boss, U.outsider, ['permission-denied', 'permission denied']],
    ['only principals', U.plugin, U.ds, ['invalid-argument', 'is not a principal']],
    // Decided from the path alone: the same answer whether the path is invisible, missing or a role.
    ['a non-principal path the caller cannot see: invalid-argument, not not-found', U.outsider, U.ds, ['invalid-argument', `${U.ds} is not a principal`]],
    ['a non-principal path that does not exist: the same', U.plugin, 'am://data/acme/nope', ['invalid-argument', 'am://data/acme/nope is not a principal']],
    ['a role is not a principal', U.plugin, role('member'), ['invalid-argument', `${role('member')} is not a principal`]],
  ] as [string, string, string, Expect][])('%s', (_name, caller, target, expected) => {
    const result = engine.authorizeVouch(caller, target, NOW);
    if (expected === 'ok') expect(valueOf(result)).toBe(target);
    else expect(errorOf(result)).toEqual({ code: expected[0], message: expect.stringContaining(expected[1]) });
  });
});

describe('dataset credential', () => {
  test.each([
    ['View only needs no operation', U.pat, U.ds, [], { kind: 'provider', providerPath: 'am://data/acme', provider: '{"factory":"nats:creds.acme"}' }],
    ['READ by the boss', U.boss, U.ds, ['READ'], { kind: 'provider', operations: [Op.READ] }],
    ['delegating dataset: caller roles ∩ delegated, caller order', U.pat, U.deleg, [], { kind: 'delegation', roles: [role('member')] }],
    ['READ denied', U.pat, U.ds, ['READ'], ['permission-denied', `[READ] not allowed on ${U.ds}`]],
    ['every listed operation is named', U.pat, U.ds, ['read', 'WRITE'], ['permission-denied', `[READ WRITE] not allowed on ${U.ds}`]],
    ['invisible = not found', U.outsider, U.ds, [], ['not-found', `${U.ds} not found`]],
    ['INVALID is refused', U.boss, U.ds, ['INVALID'], ['invalid-argument', 'invalid operation']],
    ['no data-info', U.boss, U.nodata, [], ['failed-precondition', `no dataset info annotation for ${U.nodata}`]],
    ['unparsable data-info', U.boss, U.badinfo, [], ['failed-precondition', 'invalid dataset info annotation']],
    ['no provider above', U.boss, U.free, [], ['failed-precondition', `no credential provider found for ${U.free}`]],
  ] as [string, string, string, string[], Expect | object][])('%s', (_name, caller, dataset, ops, expected) => {
    const result = engine.authorizeDatasetCredential(caller, dataset, ops, NOW);
    if (Array.isArray(expected)) expect(errorOf(result)).toEqual({ code: expected[0], message: expect.stringContaining(expected[1]) });
    else expect(valueOf(result)).toMatchObject(expected);
  });
});

describe('demonstration identities (§8.2) and ssh login (§8.6)', () => {
  const demo = { allowDemoIdentities: true };
  test.each([
    ['a plain principal', U.outsider, demo, 'ok'],
    ['trailing whitespace is trimmed', `${U.outsider}\n`, demo, 'ok'],
    ['a key on a parent directory does not count', U.bot, demo, 'ok'],
    ['ssh key under the alias tag', U.op, demo, ['unauthenticated', 'invalid credential']],
    ['inherited VOUCHFOR ACE', U.pat, demo, ['unauthenticated', 'invalid credential']],
    ['missing principal (the same answer: no existence oracle)', 'am://user/nobody', demo, ['unauthenticated', 'invalid credential']],
    ['a directory of principals is never a caller', 'am://user/hpe', demo, ['unauthenticated', 'invalid credential']],
    ['not a principal path', U.ds, demo, ['unauthenticated', 'invalid credential']],
    ['setting off', U.outsider, { allowDemoIdentities: false }, ['unauthenticated', 'invalid credential']],
  ] as [string, string, { allowDemoIdentities: boolean }, Expect][])('%s', (_name, credential, settings, expected) => {
    const result = engine.authenticateDemoIdentity(credential, settings, NOW);
    if (expected === 'ok') expect(valueOf(result)).toBe(credential.trim());
    else expect(errorOf(result)).toEqual({ code: expected[0], message: expected[1] });
  });

  test('ssh login: keys of the principal itself, both spellings; no key, no login', () => {
    const plain = { requireNativeLogin: false };
    expect(valueOf(engine.sshLoginKeys(U.op, plain, NOW))).toEqual(['ssh-ed25519 AAAAop op@host']);
    expect(errorOf(engine.sshLoginKeys(U.bot, plain, NOW)).code).toBe('unauthenticated');
    expect(errorOf(engine.sshLoginKeys('am://user/nobody', plain, NOW)).code).toBe('unauthenticated');
  });

  test('strict native-login mode needs am://role/native-login to pass View + VOUCHFOR', () => {
    const strict = { requireNativeLogin: true };
    expect(valueOf(engine.sshLoginKeys(U.native, strict, NOW))).toEqual(['ssh-ed25519 AAAAnative n@host']);
    expect(errorOf(engine.sshLoginKeys(U.op, strict, NOW)).message).toContain('native-login');
  });
});

describe('check (may the caller do these operations)', () => {
  test('not found before permission denied', () => {
    expect(errorOf(engine.check(U.boss, U.ghost, [Op.READ], NOW)).code).toBe('not-found');
    expect(errorOf(engine.check(U.pat, U.ds, [Op.READ], NOW))).toEqual({ code: 'permission-denied', message: `[READ] not allowed on ${U.ds}` });
    expect(engine.check(U.boss, U.ds, [Op.READ, Op.WRITE], NOW).ok).toBe(true);
  });
});
