import type { Etcd3 } from 'etcd3';
import { isAmError, parseUniverseText, exportUniverseText, type AceAnnotation } from '@am/model';
import { TestInfra } from '@am/testing';
import type { ApprovedChange } from '@am/engine';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetaStore, StaleWriteError } from './meta-store';
import { MetaProjection } from './projection';

const FIXTURES = join(__dirname, '../../../../fixtures/hpe-universes');
const fixture = (name: string) => parseUniverseText(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'), { renumberDuplicates: true }).universe;
const NOW = Date.now();
const unwrap = <T>(r: { ok: true; value: T } | { ok: false; error: Error }): T => {
  if (!r.ok) throw r.error;
  return r.value;
};

describe('MetaStore and MetaProjection (real etcd)', () => {
  let infra: TestInfra;
  let etcd: Etcd3;
  let store: MetaStore;
  const projections: MetaProjection[] = [];
  const project = async () => {
    const p = new MetaProjection(etcd, store);
    await p.start();
    projections.push(p);
    return p;
  };

  beforeAll(async () => {
    infra = await TestInfra.start();
    etcd = infra.etcdClient();
    store = new MetaStore(etcd, '/am/', { chunkSize: 50 });
  });
  afterAll(async () => {
    for (const p of projections) await p.stop();
    etcd.close();
    await infra.stop();
  });

  it('boots new_sample atomically in chunks; a second boot is refused and changes nothing', async () => {
    const empty = await store.snapshot();
    expect(empty.generation).toBeUndefined();
    const universe = fixture('new_sample');
    const progress: number[] = [];
    const s = new MetaStore(etcd, '/am/', { chunkSize: 50 });
    const { revision } = await s.boot(universe, 'am://user/the-operator', { onProgress: (n) => progress.push(n) });
    expect(progress.length).toBeGreaterThan(3);
    const snap = await store.snapshot();
    expect(snap.revision).toBeGreaterThanOrEqual(revision);
    expect(exportUniverseText(snap.universe)).toBe(exportUniverseText(universe));
    await expect(store.boot(fixture('bootstrap'), 'x')).rejects.toThrow('data already exists');
    expect(exportUniverseText((await store.snapshot()).universe)).toBe(exportUniverseText(universe));
  });

  it('imports the reference bootstrap universe too, and export(import(x)) == x', async () => {
    const other = new MetaStore(etcd, '/bootstrap-fixture/');
    const universe = fixture('bootstrap');
    await other.boot(universe, 'test');
    expect(exportUniverseText((await other.snapshot()).universe)).toBe(exportUniverseText(universe));
  });

  it('commits an approved change with its event, and a second projection sees it with a consistency token', async () => {
    const a = await project();
    const b = await project();
    const alice = 'am://user/hpe/bu1/alice';
    const change = unwrap(
      a.engine.authorize(alice, { kind: 'put-annotation', path: alice, annotation: { tag: 'note', unique: 0n, version: 0, startMillis: 0, endMillis: 0, data: 'hello' } as never }, NOW),
    );
    const { revision } = await store.commit(change, alice, a.expectations());
    await b.atLeast(revision);
    expect(b.revision).toBeGreaterThanOrEqual(revision);
    const { details } = unwrap(b.engine.details(alice, alice, { includeChildren: false }, NOW));
    expect(details.annotations).toContainEqual(expect.objectContaining({ tag: 'note', data: 'hello' }));
    const events = await store.events({ path: alice });
    expect(events.at(-1)).toMatchObject({ kind: 'put-annotation', actor: alice, path: alice, before: null, seq: revision });
  });

  it('a change over etcd\'s request limit (past the model\'s checks) is payload-too-large, not unavailable', async () => {
    const p = await project();
    const alice = 'am://user/hpe/bu1/alice';
    const huge = unwrap(p.engine.authorize(alice, { kind: 'put-annotation', path: alice, annotation: { tag: 'note', unique: 0n, version: 0, startMillis: 0, endMillis: 0, data: 'x'.repeat(900 * 1024) } as never }, NOW));
    const err = await store.commit(huge, alice, p.expectations()).catch((e) => e);
    expect(isAmError(err) && err.code).toBe('payload-too-large');
    expect(err.message).toMatch(/max-request-bytes/);
  });

  it('refuses a stale write with a conflict naming the version', async () => {
    const p = await project();
    const alice = 'am://user/hpe/bu1/alice';
    const note = (unwrap(p.engine.details(alice, alice, { includeChildren: false }, NOW))).details.annotations.find((x) => x.tag === 'note')!;
    const replace = (data: string): ApprovedChange =>
      unwrap(p.engine.authorize(alice, { kind: 'put-annotation', path: alice, annotation: { tag: 'note', unique: BigInt(note.unique), version: 1, startMillis: 0, endMillis: 0, data } as never }, NOW));
    const first = replace('one');
    const second = replace('two');
    await store.commit(first, alice, p.expectations());
    const err = await store.commit(second, alice, p.expectations()).catch((e) => e);
    expect(isAmError(err) && err.code).toBe('conflict');
    expect(err.message).toContain('version mismatch');
  });

  it('creates and recursively deletes nodes; projections follow; history lists them', async () => {
    const p = await project();
    const alice = 'am://user/hpe/bu1/alice';
    for (const path of ['am://user/hpe/bu1/team', 'am://user/hpe/bu1/team/carol']) {
      const c = unwrap(p.engine.authorize(alice, { kind: 'create-node', path, directory: path.endsWith('team') }, NOW));
      await p.atLeast((await store.commit(c, alice, p.expectations())).revision);
    }
    expect(p.engine.node('am://user/hpe/bu1/team/carol')).toBeDefined();
    const del = unwrap(p.engine.authorize(alice, { kind: 'delete-node', path: 'am://user/hpe/bu1/team', recursive: true }, NOW));
    await p.atLeast((await store.commit(del, alice, p.expectations())).revision);
    expect(p.engine.node('am://user/hpe/bu1/team')).toBeUndefined();
    expect(p.engine.node('am://user/hpe/bu1/team/carol')).toBeUndefined();
    const kinds = (await store.events({ path: 'am://user/hpe/bu1/team', subtree: true })).map((e) => e.kind);
    expect(kinds).toEqual(['boot', 'create-node', 'create-node', 'delete-node']);
    // The durable state equals the live view.
    expect(exportUniverseText((await store.snapshot()).universe)).toBe(exportUniverseText(p.engine.toUniverse()));
  });

  it('refuses a child creation racing with the recursive delete of its parent (all or nothing)', async () => {
    const p = await project();
    const alice = 'am://user/hpe/bu1/alice';
    const dir = unwrap(p.engine.authorize(alice, { kind: 'create-node', path: 'am://user/hpe/bu1/tmp', directory: true }, NOW));
    await p.atLeast((await store.commit(dir, alice, p.expectations())).revision);
    const del = unwrap(p.engine.authorize(alice, { kind: 'delete-node', path: 'am://user/hpe/bu1/tmp', recursive: true }, NOW));
    const child = unwrap(p.engine.authorize(alice, { kind: 'create-node', path: 'am://user/hpe/bu1/tmp/late', directory: false }, NOW));
    const staleExpect = p.expectations();
    // Let the view catch up with the child: the delete was still decided on the older view.
    await p.atLeast((await store.commit(child, alice, staleExpect)).revision);
    const err = await store.commit(del, alice, staleExpect).catch((e) => e);
    expect(err.code).toBe('conflict');
  });

  it('refuses a child creation decided before its parent was deleted and created again as a leaf', async () => {
    const p = await project();
    const alice = 'am://user/hpe/bu1/alice';
    const team = 'am://user/hpe/bu1/team2';
    const commitNow = async (request: Parameters<typeof p.engine.authorize>[1]) =>
      p.atLeast((await store.commit(unwrap(p.engine.authorize(alice, request, NOW)), alice, p.expectations())).revision);
    await commitNow({ kind: 'create-node', path: team, directory: true });
    const child = unwrap(p.engine.authorize(alice, { kind: 'create-node', path: `${team}/kid`, directory: false }, NOW));
    const staleExpect = p.expectations();
    await commitNow({ kind: 'delete-node', path: team, recursive: true });
    await commitNow({ kind: 'create-node', path: team, directory: false });
    // Committed, it would put a child under a leaf, which no projection can load.
    const err = await store.commit(child, alice, staleExpect).catch((e) => e);
    expect(err.code).toBe('conflict');
    expect(p.engine.node(`${team}/kid`)).toBeUndefined();
  });

  it('refuses a change decided on a view older than any write since (its decision may rest on what changed)', async () => {
    const p = await project();
    const alice = 'am://user/hpe/bu1/alice';
    const note = (data: string) => ({ tag: 'note', unique: 0n, version: 0, startMillis: 0, endMillis: 0, data });
    const first = unwrap(p.engine.authorize(alice, { kind: 'put-annotation', path: alice, annotation: note('one') as never }, NOW));
    const stale = p.expectations();
    // An unrelated write lands first (in real life: the caller's role removed, an ACE tightened).
    const other = unwrap(p.engine.authorize(alice, { kind: 'create-node', path: 'am://user/hpe/bu1/elsewhere', directory: false }, NOW));
    await p.atLeast((await store.commit(other, alice, p.expectations())).revision);
    const err = await store.commit(first, alice, stale).catch((e) => e);
    expect(err).toBeInstanceOf(StaleWriteError);
  });

  it('acks ACE writes with the ACE readable back exactly', async () => {
    const p = await project();
    const alice = 'am://user/hpe/bu1/alice';
    const ace = { tag: 'ace', unique: 0n, version: 0, startMillis: 0, endMillis: 0, op: 3, local: false, agent: false, acls: [{ roles: ['am://role/hpe/bu1/bu1-admin'] }] } as unknown as AceAnnotation;
    const c = unwrap(p.engine.authorize(alice, { kind: 'put-annotation', path: 'am://data/hpe/bu1/special', annotation: ace }, NOW));
    await p.atLeast((await store.commit(c, alice, p.expectations())).revision);
    expect(exportUniverseText((await store.snapshot()).universe)).toBe(exportUniverseText(p.engine.toUniverse()));
  });

  it('watches only the tree: keys of other domains (credential events) never reach the view', async () => {
    const p = await project();
    const alice = 'am://user/hpe/bu1/alice';
    const before = p.revision;
    const other = Number((await etcd.put('/am/identity/events/000000000000001-test').value('{}').exec()).header.revision);
    // A view watching the whole prefix would have moved to `other` within milliseconds.
    await new Promise((r) => setTimeout(r, 300));
    expect(other).toBeGreaterThan(before);
    expect(p.revision).toBe(before);
    const note = unwrap(
      p.engine.authorize(alice, { kind: 'put-annotation', path: alice, annotation: { tag: 'note', unique: 0n, version: 0, startMillis: 0, endMillis: 0, data: 'after' } as never }, NOW),
    );
    const { revision } = await store.commit(note, alice, p.expectations());
    await p.atLeast(revision);
    expect(p.revision).toBe(revision);
  });
});
