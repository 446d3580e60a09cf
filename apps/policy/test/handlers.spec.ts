import {
  annotateContract,
  authorizeDatasetCredentialContract,
  authorizeVouchContract,
  checkContract,
  createNodeContract,
  deleteAnnotationContract,
  deleteNodeContract,
  detailsContract,
  exportUniverseContract,
  historyContract,
  listChildrenContract,
  loadUniverseContract,
  resolveCallerContract,
  sshLoginKeysContract,
  whatCanContract,
  whoCanContract,
  type BusClient,
} from '@am/bus';
import { parseUniverseText, REDACTED_PRINCIPAL, REDACTED_ROLE } from '@am/model';
import { TestInfra } from '@am/testing';
import { connect, JSONCodec } from 'nats';
import { ALICE, BOB, exportText, gatewayBus, GOD, OPERATOR, startPolicyIn, type Policy } from './support';

const CHARLIE = 'am://user/hpe/bu1/charlie';

describe('policy handlers over a real NATS and etcd (new_sample booted)', () => {
  let infra: TestInfra;
  let bus: BusClient;
  let policy: Policy;

  beforeAll(async () => {
    infra = await TestInfra.start();
    policy = await startPolicyIn(infra, { AM_BOOT_UNIVERSE: 'new_sample' });
    bus = (await gatewayBus(infra)).bus;
  });
  afterAll(() => infra.stop());

  it('details: direct and inherited roles and ACEs, redacted for the caller, with children and the revision', async () => {
    const r = await bus.request(detailsContract, { credential: BOB, path: ALICE });
    expect(r.revision).toBe(policy.projection.revision);
    expect(r.details.path).toBe(ALICE);
    expect(r.details.isDirectory).toBe(false);
    expect(r.details.roles[0].role).toBe(REDACTED_ROLE);
    expect(r.details.inheritedRoles.map((x) => x.role)).toContain('am://role/hpe/hpe-user');
    expect(r.details.annotations.map((a) => a.tag)).toContain('principal');
    const dir = await bus.request(detailsContract, { credential: GOD, path: 'am://user', includeChildren: true });
    expect(dir.children).toEqual(expect.arrayContaining(['am://user/hpe', 'am://user/small']));
    await expect(bus.request(detailsContract, { credential: ALICE, path: 'am://user/yoyodyne' })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('list children: only what the caller can see', async () => {
    expect((await bus.request(listChildrenContract, { credential: ALICE, path: 'am://user' })).children).toEqual(['am://user/hpe', 'am://user/small']);
    expect((await bus.request(listChildrenContract, { credential: GOD, path: 'am://user' })).children).toHaveLength(5);
  });

  it('refuses an unknown or malformed credential as unauthenticated, and a bad request as invalid-argument', async () => {
    await expect(bus.request(detailsContract, { credential: 'am://user/nobody', path: 'am://' })).rejects.toMatchObject({ code: 'unauthenticated', message: 'invalid credential' });
    await expect(bus.request(detailsContract, { credential: 'e30.e30.sig', path: 'am://' })).rejects.toMatchObject({ code: 'unauthenticated' });
    await expect(bus.request(detailsContract, { credential: GOD, path: 'not a path' })).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('create, annotate (add, replace by version, stale version → conflict naming the current one), delete annotation, delete recursively', async () => {
    const dir = 'am://data/handlers-test';
    const created = await bus.request(createNodeContract, { credential: OPERATOR, path: dir, directory: true });
    expect(created.revision).toBeGreaterThan(0);
    await bus.request(createNodeContract, { credential: OPERATOR, path: `${dir}/leaf` });
    await expect(bus.request(createNodeContract, { credential: OPERATOR, path: `${dir}/leaf` })).rejects.toMatchObject({ code: 'already-exists' });
    await expect(bus.request(createNodeContract, { credential: ALICE, path: 'am://data/alice-was-here' })).rejects.toMatchObject({ code: 'permission-denied' });

    const added = await bus.request(annotateContract, { credential: OPERATOR, path: `${dir}/leaf`, annotation: { tag: 'note', data: 'v1' } });
    expect(added.annotation).toMatchObject({ tag: 'note', version: '1', data: 'v1' });
    const unique = added.annotation.unique;
    const replaced = await bus.request(annotateContract, { credential: OPERATOR, path: `${dir}/leaf`, annotation: { tag: 'note', unique, version: '1', data: 'v2' } });
    expect(replaced.annotation).toMatchObject({ version: '2', data: 'v2' });
    expect(replaced.revision).toBeGreaterThan(added.revision);
    await expect(bus.request(annotateContract, { credential: OPERATOR, path: `${dir}/leaf`, annotation: { tag: 'note', unique, version: '1', data: 'v3' } })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('found 2'),
    });
    const details = await bus.request(detailsContract, { credential: OPERATOR, path: `${dir}/leaf`, atLeast: replaced.revision });
    expect(details.details.annotations).toEqual([expect.objectContaining({ tag: 'note', unique, version: '2', data: 'v2' })]);

    await bus.request(deleteAnnotationContract, { credential: OPERATOR, path: `${dir}/leaf`, tag: 'note', unique, expectedVersion: 2 });
    await expect(bus.request(deleteAnnotationContract, { credential: OPERATOR, path: `${dir}/leaf`, tag: 'note', unique })).rejects.toMatchObject({ code: 'not-found' });

    await expect(bus.request(deleteNodeContract, { credential: OPERATOR, path: dir })).rejects.toMatchObject({ code: 'failed-precondition' });
    const removed = await bus.request(deleteNodeContract, { credential: OPERATOR, path: dir, recursive: true });
    expect(removed.removed.sort()).toEqual([dir, `${dir}/leaf`]);
    await expect(bus.request(detailsContract, { credential: OPERATOR, path: dir, atLeast: removed.revision })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('names in a recursive delete only the removed nodes the caller could see', async () => {
    const proj = 'am://data/hpe/bu1/proj';
    await bus.request(createNodeContract, { credential: ALICE, path: proj, directory: true });
    await bus.request(createNodeContract, { credential: ALICE, path: `${proj}/secret`, directory: false });
    const hidden = await bus.request(annotateContract, { credential: ALICE, path: `${proj}/secret`, annotation: { tag: 'ace', op: 'VIEW', acls: [{ roles: ['am://role/hpe/bu1/bu1-admin'] }] } });
    expect((await bus.request(detailsContract, { credential: BOB, path: proj, includeChildren: true, atLeast: hidden.revision })).children).toEqual([]);
    const r = await bus.request(deleteNodeContract, { credential: BOB, path: proj, recursive: true });
    expect(r.removed).toEqual([proj]);
    await expect(bus.request(detailsContract, { credential: ALICE, path: `${proj}/secret`, atLeast: r.revision })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('applies and removes a role, and adds an ACE (both are annotations)', async () => {
    const query = 'am://role/hpe/bu1/bu1-query';
    const role = await bus.request(annotateContract, { credential: ALICE, path: BOB, annotation: { tag: 'applied-role', role: query } });
    expect(role.annotation.role).toBe(query);
    await expect(bus.request(annotateContract, { credential: BOB, path: BOB, annotation: { tag: 'applied-role', role: query } })).rejects.toMatchObject({ code: 'permission-denied' });
    const ace = await bus.request(annotateContract, { credential: ALICE, path: BOB, annotation: { tag: 'ace', op: 'READ', acls: [{ roles: [query] }] } });
    expect(ace.annotation).toMatchObject({ op: 'READ', acls: [{ roles: [query] }] });
    const seen = await bus.request(detailsContract, { credential: ALICE, path: BOB });
    expect(seen.details.roles.map((r) => r.role)).toEqual([query]);
    expect(seen.details.aces.map((a) => a.unique)).toEqual([ace.annotation.unique]);
    await bus.request(deleteAnnotationContract, { credential: ALICE, path: BOB, tag: 'applied-role', unique: role.annotation.unique });
    await bus.request(deleteAnnotationContract, { credential: ALICE, path: BOB, tag: 'ace', unique: ace.annotation.unique });
  });

  it('check (own, for another agent, with an explanation), who-can and what-can', async () => {
    expect(await bus.request(checkContract, { credential: ALICE, target: ALICE, ops: ['VIEW'] })).toMatchObject({ allowed: true, agent: ALICE });
    expect(await bus.request(checkContract, { credential: ALICE, target: 'am://user/hpe', ops: ['ADMIN'] })).toMatchObject({ allowed: false });
    await expect(bus.request(checkContract, { credential: ALICE, target: 'am://user/yoyodyne', ops: ['VIEW'] })).rejects.toMatchObject({ code: 'not-found' });
    const explained = await bus.request(checkContract, { credential: GOD, agent: ALICE, target: 'am://user/hpe', ops: ['ADMIN'], explain: true });
    expect(explained.agent).toBe(ALICE);
    expect(explained.explanation?.operations[0].op).toBe('ADMIN');
    expect(explained.allowed).toBe(explained.explanation?.allowed);
    const who = await bus.request(whoCanContract, { credential: GOD, target: ALICE, op: 'VIEW', under: 'am://user/hpe' });
    expect(who.principals).toContain(BOB);
    const what = await bus.request(whatCanContract, { credential: GOD, principal: ALICE, op: 'VIEW', under: 'am://user' });
    expect(what.paths).toContain(ALICE);
    expect(what.paths).not.toContain('am://user/yoyodyne');
  });

  it('history lists the events on a path and its subtree, in commit order', async () => {
    const path = 'am://data/history-test';
    const a = await bus.request(createNodeContract, { credential: OPERATOR, path, directory: true });
    const b = await bus.request(annotateContract, { credential: OPERATOR, path, annotation: { tag: 'note', data: 'x' } });
    const h = await bus.request(historyContract, { credential: OPERATOR, path, since: a.revision - 1 });
    expect(h.events.map((e) => [e.seq, e.kind])).toEqual([
      [a.revision, 'create-node'],
      [b.revision, 'put-annotation'],
    ]);
    expect(h.events[1]).toMatchObject({ actor: OPERATOR, after: expect.objectContaining({ tag: 'note', data: 'x' }), before: null });
    const all = await bus.request(historyContract, { credential: OPERATOR, path: 'am://data', subtree: true, since: a.revision - 1 });
    expect(all.events.map((e) => e.seq)).toEqual([a.revision, b.revision]);
  });

  it('history redacts, as details do, the roles and the actors the caller cannot see', async () => {
    const path = 'am://data/hpe/bu1/history-redacted';
    const created = await bus.request(createNodeContract, { credential: GOD, path, directory: false });
    const ace = { tag: 'ace', op: 'READ', acls: [{ roles: ['am://role/hpe/bu1/bu1-admin'] }] };
    const added = await bus.request(annotateContract, { credential: ALICE, path, annotation: ace as never });
    const shown = await bus.request(detailsContract, { credential: BOB, path, atLeast: added.revision });
    expect(JSON.stringify(shown.details)).toContain(REDACTED_ROLE);
    const h = await bus.request(historyContract, { credential: BOB, path, since: created.revision - 1 });
    expect(h.events.map((e) => e.actor)).toEqual([REDACTED_PRINCIPAL, ALICE]);
    expect(h.events[1].after?.acls).toEqual([{ roles: [REDACTED_ROLE] }]);
    expect(JSON.stringify(h.events)).not.toContain('bu1-admin');
    // Whoever can see them sees them.
    const own = await bus.request(historyContract, { credential: ALICE, path, since: created.revision - 1 });
    expect(own.events[1]).toMatchObject({ actor: ALICE, after: { acls: [{ roles: ['am://role/hpe/bu1/bu1-admin'] }] } });
  });

  it('history of nodes that are gone shows only what the caller could see of them before they went', async () => {
    const dir = 'am://data/hpe/bu1/gone-dir';
    const hidden = `${dir}/hidden`;
    const open = `${dir}/open`;
    const created = await bus.request(createNodeContract, { credential: GOD, path: dir, directory: true });
    await bus.request(createNodeContract, { credential: GOD, path: hidden });
    // Alice (bu1's admin) writes a note on `hidden`, then hides it from all but hpe-special (Charlie).
    await bus.request(annotateContract, { credential: ALICE, path: hidden, annotation: { tag: 'note', data: 'the secret' } });
    await bus.request(annotateContract, { credential: ALICE, path: hidden, annotation: { tag: 'ace', op: 'VIEW', acls: [{ roles: ['am://role/hpe/bu1/hpe-special'] }] } as never, force: true });
    await bus.request(createNodeContract, { credential: GOD, path: open });
    await bus.request(annotateContract, { credential: ALICE, path: open, annotation: { tag: 'note', data: 'nothing to hide' } });
    const deleted = await bus.request(deleteNodeContract, { credential: ALICE, path: dir, recursive: true });

    const asAlice = await bus.request(historyContract, { credential: ALICE, path: 'am://data/hpe/bu1', subtree: true, since: created.revision - 1, atLeast: deleted.revision });
    expect(asAlice.events.map((e) => [e.kind, e.path])).toEqual([
      ['create-node', dir],
      ['create-node', open],
      ['put-annotation', open],
      ['delete-node', dir],
    ]);
    expect(asAlice.events[3].removed?.sort()).toEqual([dir, open].sort());
    expect(JSON.stringify(asAlice.events)).not.toContain('hidden');
    expect(JSON.stringify(asAlice.events)).not.toContain('the secret');

    const asCharlie = await bus.request(historyContract, { credential: CHARLIE, path: 'am://data/hpe/bu1', subtree: true, since: created.revision - 1 });
    expect(asCharlie.events.map((e) => e.path)).toEqual([dir, hidden, hidden, hidden, open, open, dir]);
    expect(asCharlie.events[6].removed?.sort()).toEqual([dir, hidden, open].sort());
    // A limit counts what is shown; the pages that follow are read up to the first page's revision.
    const asked = { credential: ALICE, path: 'am://data/hpe/bu1', subtree: true, since: created.revision - 1, limit: 2 };
    const first = await bus.request(historyContract, asked);
    const seqs = (events: { seq: number }[]) => events.map((e) => e.seq);
    expect(seqs(first.events)).toEqual(seqs(asAlice.events.slice(0, 2)));
    const written = await bus.request(annotateContract, { credential: ALICE, path: 'am://data/hpe/bu1', annotation: { tag: 'note', data: 'after the first page' } });
    const pages = [first.events];
    for (let more = first.more; more; ) {
      const next = await bus.request(historyContract, { ...asked, page: more, atLeast: written.revision });
      pages.push(next.events);
      more = next.more;
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2]);
    expect(seqs(pages.flat())).toEqual(seqs(asAlice.events));
    expect(seqs(pages.flat())).not.toContain(written.revision);

    // A node made again at the same path does not open the old one's history.
    await bus.request(createNodeContract, { credential: ALICE, path: dir, directory: true });
    const again = await bus.request(createNodeContract, { credential: ALICE, path: hidden });
    const anew = await bus.request(historyContract, { credential: ALICE, path: hidden, since: created.revision - 1, atLeast: again.revision });
    expect(anew.events.map((e) => [e.kind, e.seq])).toEqual([['create-node', again.revision]]);
    expect(JSON.stringify(anew.events)).not.toContain('the secret');
  });

  it('history shows the size of a booted or imported tree only to operators', async () => {
    const [boot] = (await bus.request(historyContract, { credential: OPERATOR, path: 'am://' })).events.filter((e) => e.kind === 'boot');
    expect(boot.nodes).toBeGreaterThan(50);
    const [seen] = (await bus.request(historyContract, { credential: BOB, path: 'am://' })).events.filter((e) => e.kind === 'boot');
    expect(seen).toMatchObject({ kind: 'boot', seq: boot.seq });
    expect(seen.nodes).toBeUndefined();
  });

  it('time travel: details and check as of a past revision match the state then', async () => {
    const path = 'am://data/travel';
    const before = await bus.request(createNodeContract, { credential: OPERATOR, path });
    const note = await bus.request(annotateContract, { credential: OPERATOR, path, annotation: { tag: 'note', data: 'then' } });
    await bus.request(annotateContract, { credential: OPERATOR, path, annotation: { tag: 'note', unique: note.annotation.unique, version: '1', data: 'now' } });
    const then = await bus.request(detailsContract, { credential: OPERATOR, path, asOf: { revision: note.revision } });
    expect(then.revision).toBe(note.revision);
    expect(then.details.annotations.map((a) => a.data)).toEqual(['then']);
    const earlier = await bus.request(detailsContract, { credential: OPERATOR, path, asOf: { revision: before.revision } });
    expect(earlier.details.annotations).toEqual([]);
    await expect(bus.request(checkContract, { credential: OPERATOR, target: path, ops: ['VIEW'], asOf: { revision: before.revision - 1 } })).rejects.toMatchObject({
      code: 'not-found',
    });
    const byTime = await bus.request(detailsContract, { credential: OPERATOR, path, asOf: { time: new Date().toISOString() } });
    expect(byTime.details.annotations.map((a) => a.data)).toEqual(['now']);
  });

  it('export gives what the caller can see in the universe format; import into a live tree follows the permissions', async () => {
    const text = (await exportText(bus, { credential: GOD, path: 'am://user/small' })).text;
    const exported = parseUniverseText(text).universe;
    expect(exported.nodes.map((n) => n.path)).toContain('am://user/small');
    const roots = ['user', 'workload', 'role'].map((name) => ({ path: `am://${name}` }));
    const file = JSON.stringify({ path: 'am://', children: [...roots, { path: 'am://data', children: [{ path: 'am://data/imported', meta: [{ tag: 'note', data: 'hi' }] }] }] });
    // Import is for operators (Admin on am://), even of a file that asks for nothing Alice could not do.
    await expect(bus.request(loadUniverseContract, { credential: ALICE, universe: { text: file } })).rejects.toMatchObject({
      code: 'permission-denied',
      message: 'permission denied: importing into the tree needs Admin on am://',
    });
    const nothingNew = JSON.stringify({ path: 'am://', children: [...roots, { path: 'am://data' }] });
    await expect(bus.request(loadUniverseContract, { credential: ALICE, universe: { text: nothingNew } })).rejects.toMatchObject({ code: 'permission-denied' });
    // An import with nothing to create or annotate writes nothing; the count is of the file, not of the tree.
    const current = (await bus.request(detailsContract, { credential: OPERATOR, path: 'am://' })).revision;
    expect(await bus.request(loadUniverseContract, { credential: OPERATOR, universe: { text: nothingNew } })).toEqual({ revision: current, mode: 'import', nodes: 5, warnings: [] });
    const imported = await bus.request(loadUniverseContract, { credential: OPERATOR, universe: { text: file } });
    expect(imported).toMatchObject({ mode: 'import', nodes: 6 });
    expect(imported.revision).toBeGreaterThan(current);
    const d = await bus.request(detailsContract, { credential: OPERATOR, path: 'am://data/imported', atLeast: imported.revision });
    expect(d.details.annotations.map((a) => a.data)).toEqual(['hi']);
    expect((await bus.request(detailsContract, { credential: BOB, path: ALICE })).details.path).toBe(ALICE);
    await expect(bus.request(loadUniverseContract, { universe: { name: 'new_sample' }, bootAllowed: true })).rejects.toMatchObject({ code: 'unauthenticated' });
    await expect(bus.request(loadUniverseContract, { universe: { name: 'nope' } })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('data not found') });
    await expect(bus.request(loadUniverseContract, { credential: OPERATOR, universe: { text: '{"path": 1' } })).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('identity decisions: resolve caller, vouch (default deny, self allowed when asked), dataset credential plan, ssh login keys', async () => {
    expect(await bus.request(resolveCallerContract, { credential: ALICE })).toMatchObject({ principal: ALICE, via: 'demo-identity' });
    await expect(bus.request(authorizeVouchContract, { credential: ALICE, principal: BOB })).rejects.toMatchObject({ code: 'permission-denied' });
    expect(await bus.request(authorizeVouchContract, { credential: ALICE, principal: ALICE, allowSelf: true })).toMatchObject({ caller: ALICE, principal: ALICE });
    const plugin = 'am://workload/yoyodyne/id-plugin';
    expect(await bus.request(authorizeVouchContract, { credential: plugin, principal: 'am://user/yoyodyne/bob' })).toMatchObject({ principal: 'am://user/yoyodyne/bob' });
    await expect(bus.request(authorizeDatasetCredentialContract, { credential: ALICE, dataset: 'am://data/nowhere' })).rejects.toMatchObject({ code: 'not-found' });
    await expect(bus.request(sshLoginKeysContract, { principal: ALICE })).rejects.toMatchObject({ code: 'unauthenticated', message: expect.stringContaining('no ssh key') });
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvJjZ7Rk0ryYdKxK4sWfWwY3jL8a1G7m6Qm0e9pJ2aS test@host';
    const carol = 'am://user/hpe/bu1/carol-ssh';
    await bus.request(createNodeContract, { credential: ALICE, path: carol });
    await bus.request(annotateContract, { credential: ALICE, path: carol, annotation: { tag: 'principal' } });
    const withKey = await bus.request(annotateContract, { credential: ALICE, path: carol, annotation: { tag: 'ssh-pubkey', data: key } });
    expect((await bus.request(sshLoginKeysContract, { principal: carol, atLeast: withKey.revision })).keys).toEqual([key]);
    await expect(bus.request(resolveCallerContract, { credential: carol })).rejects.toMatchObject({ code: 'unauthenticated', message: 'invalid credential' });
  });

  it('publishes a domain event on am.events.metadata.<kind> after each commit', async () => {
    const env = infra.env('gateway');
    const nc = await connect({ servers: infra.nats.url, user: env.AM_NATS_USER, pass: env.AM_NATS_PASSWORD });
    try {
      const sub = nc.subscribe('am.events.metadata.>', { max: 1 });
      await nc.flush();
      const created = await bus.request(createNodeContract, { credential: OPERATOR, path: 'am://data/evented' });
      for await (const m of sub) {
        expect(m.subject).toBe('am.events.metadata.create-node');
        expect(JSONCodec().decode(m.data)).toMatchObject({ data: { seq: created.revision, kind: 'create-node', path: 'am://data/evented', actor: OPERATOR } });
      }
    } finally {
      await nc.close();
    }
  });
});
