import type { ApprovedChange } from '@am/engine';
import { UnavailableError } from '@am/model';
import { generateUniverse, waitFor } from '@am/testing';
import { MetaHistory } from './history';
import { MetaStore } from './meta-store';
import { MetaProjection } from './projection';
import { realEtcd, small, text } from './test-fixtures';


describe('metadata durability (real etcd): outages, replay, large imports', () => {
  const env = realEtcd();

  /** A new annotation `note<n>` on am://data, as the engine would approve it (the store does not decide). */
  function noteChange(_p: MetaProjection, n: number): ApprovedChange {
    return { kind: 'put-annotation', path: 'am://data', annotation: { tag: `note${n}`, unique: BigInt(1000 + n), version: 1, startMillis: 0, endMillis: 0, data: String(n) } };
  }

  it('a live projection survives an etcd restart: every committed change applied exactly once; writes during the outage fail as unavailable', async () => {
    const store = new MetaStore(env.etcd, '/outage/', { timeoutMs: 1500 });
    const applied: number[] = [];
    const projection = new MetaProjection(env.etcd, store, { onApplied: (r) => applied.push(r), consistencyTimeoutMs: 5000 });
    await store.boot(small(), 'test');
    await projection.start();
    const writer = new MetaProjection(env.etcd, store);
    await writer.start();
    try {
      const committed: number[] = [];
      const write = async (n: number) => {
        await writer.atLeast(Math.max(0, ...committed));
        committed.push((await store.commit(noteChange(writer, n), 'test', writer.expectations())).revision);
      };
      for (let n = 0; n < 5; n++) await write(n);

      await env.infra.etcd.stop();
      const started = Date.now();
      await expect(store.commit(noteChange(writer, 99), 'test', writer.expectations())).rejects.toBeInstanceOf(UnavailableError);
      expect(Date.now() - started).toBeLessThan(10_000);
      await env.infra.etcd.start();

      for (let n = 5; n < 10; n++) await waitFor('etcd to accept writes again', () => write(n).then(() => true), 20_000, 200);
      await projection.atLeast(Math.max(...committed));
      expect(applied.filter((r) => committed.includes(r)).sort()).toEqual([...committed].sort());
      expect(new Set(applied).size).toBe(applied.length);
      expect(text(projection.engine.toUniverse())).toBe(text((await store.snapshot()).universe));
    } finally {
      await writer.stop();
      await projection.stop();
    }
  }, 60_000);

  it('a tree flip seen while etcd cannot be read is retried after a pause, not in a loop that holds the CPU, and not after stop', async () => {
    const client = env.infra.etcdClient();
    const store = new MetaStore(client, '/flip-outage/');
    let failures = 0;
    const p = new MetaProjection(client, store, { onError: () => failures++ });
    await store.boot(small(), 'test');
    await p.start();
    client.close(); // every read now fails at once, as with etcd gone
    // What the watch delivers when an import flips the tree (it arrived just before the outage).
    (p as unknown as { applyBatch(c: unknown[], r: number): void }).applyBatch([{ type: 'put', key: store.layout.current, value: 'g2', modRevision: p.revision + 5 }], p.revision + 5);
    await new Promise((r) => setTimeout(r, 600));
    // 100, 200, 400 ms apart: a handful of attempts (without the pause: tens of thousands).
    expect(failures).toBeGreaterThanOrEqual(2);
    expect(failures).toBeLessThanOrEqual(5);
    await p.stop();
    const atStop = failures;
    await new Promise((r) => setTimeout(r, 900));
    expect(failures).toBeLessThanOrEqual(atStop + 1);
  });

  it('replaying the events alone rebuilds exactly the stored state, and any past revision', async () => {
    const store = new MetaStore(env.etcd, '/replay/');
    const p = new MetaProjection(env.etcd, store);
    await store.boot(small(), 'test');
    await p.start();
    try {
      const revisions: number[] = [];
      for (let n = 0; n < 4; n++) {
        const { revision } = await store.commit(noteChange(p, n), 'test', p.expectations());
        await p.atLeast(revision);
        revisions.push(revision);
      }
      const history = new MetaHistory(store);
      const replayed = (await history.at({ revision: Number.MAX_SAFE_INTEGER })).engine;
      expect(text(replayed.toUniverse())).toBe(text((await store.snapshot()).universe));
      const past = await history.at({ revision: revisions[1] });
      expect(past.revision).toBe(revisions[1]);
      expect(past.engine.node('am://data')!.annotations.filter((a) => a.tag.startsWith('note')).map((a) => a.tag)).toEqual(['note0', 'note1']);
    } finally {
      await p.stop();
    }
  });

  it('imports a 100k-node universe in chunks within etcd request limits, reporting progress, and replays it', async () => {
    const { universe } = generateUniverse(100_000, 3);
    const store = new MetaStore(env.etcd, '/large/');
    const progress: number[] = [];
    await store.boot(universe, 'test', { onProgress: (written) => progress.push(written) });
    expect(progress.length).toBeGreaterThan(100);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const snap = await store.snapshot();
    expect(snap.universe.nodes).toHaveLength(universe.nodes.length);
    const replayed = (await new MetaHistory(store).at({ revision: Number.MAX_SAFE_INTEGER })).engine;
    expect(replayed.size).toBe(universe.nodes.length);
  }, 120_000);
});
