import type { ApprovedChange } from '@am/engine';
import { FailedPreconditionError } from '@am/model';
import { HistoryKeeper } from './history-keeper';
import { MetaHistory } from './history';
import { MetaStore } from './meta-store';
import { MetaProjection } from './projection';
import { realEtcd, small, text } from './test-fixtures';

const note = (n: number): ApprovedChange => ({ kind: 'put-annotation', path: 'am://data', annotation: { tag: `note${n}`, unique: BigInt(1000 + n), version: 1, startMillis: 0, endMillis: 0, data: String(n) } });
const notesOf = (u: { node(p: string): { annotations: { tag: string }[] } | undefined }) => u.node('am://data')!.annotations.filter((a) => a.tag.startsWith('note')).map((a) => a.tag);

describe('history snapshots and retention (real etcd)', () => {
  const env = realEtcd();

  /** A booted store with `n` notes written one by one; the revision of each and the tree's text after it. */
  async function written(prefix: string, n: number, p: MetaProjection, store: MetaStore) {
    await store.boot(small(), 'test');
    await p.start();
    const states: { revision: number; text: string }[] = [];
    for (let i = 0; i < n; i++) {
      const { revision } = await store.commit(note(i), 'test', p.expectations());
      await p.atLeast(revision);
      states.push({ revision, text: text(p.engine.toUniverse()) });
    }
    return states;
  }

  it('time travel and a start replay from the nearest snapshot, not from the boot', async () => {
    const store = new MetaStore(env.etcd, '/snapshots/');
    const p = new MetaProjection(env.etcd, store);
    try {
      const states = await written('/snapshots/', 4, p, store);
      const keeper = new HistoryKeeper(p, store, { snapshotEvery: 3 });
      const round = await keeper.tick();
      expect(round.snapshot?.seq).toBe(states[3].revision);
      expect((await keeper.tick()).snapshot).toBeUndefined(); // nothing new since
      for (let i = 4; i < 6; i++) {
        const { revision } = await store.commit(note(i), 'test', p.expectations());
        await p.atLeast(revision);
        states.push({ revision, text: text(p.engine.toUniverse()) });
      }
      // Without the boot's stored universe, only a replay from the snapshot can still answer.
      const [boot] = await store.events({ path: 'am://', subtree: true, first: 1 });
      await env.etcd.delete().prefix(store.layout.eventParts(boot.id)).exec();
      const history = new MetaHistory(store);
      for (const s of states.slice(3)) expect(text((await history.at({ revision: s.revision })).engine.toUniverse())).toBe(s.text);
      await expect(history.at({ revision: states[1].revision })).rejects.toThrow(/parts are missing/);
      const times = await store.events({ after: states[4].revision - 1, first: 1 });
      expect(notesOf((await history.at({ time: times[0].time })).engine)).toContain('note4');

      const restarted = new MetaProjection(env.etcd, store, { fromSnapshots: true });
      await restarted.start();
      expect(restarted.loadedFrom).toBe('snapshot');
      expect(text(restarted.engine.toUniverse())).toBe(states.at(-1)!.text);
      expect(text(restarted.engine.toUniverse())).toBe(text((await store.snapshot()).universe));
      await restarted.stop();
    } finally {
      await p.stop();
    }
  });

  it('retention drops the events before the newest snapshot past it, keeps that snapshot as the horizon, and a start still loads', async () => {
    const store = new MetaStore(env.etcd, '/retention/');
    const p = new MetaProjection(env.etcd, store);
    try {
      const states = await written('/retention/', 5, p, store);
      let now = Date.now();
      const keeper = new HistoryKeeper(p, store, { snapshotEvery: 5, retentionMs: 60_000, clock: () => now });
      const { snapshot } = await keeper.tick();
      expect(snapshot?.seq).toBe(states[4].revision);
      for (let i = 5; i < 8; i++) {
        const { revision } = await store.commit(note(i), 'test', p.expectations());
        await p.atLeast(revision);
        states.push({ revision, text: text(p.engine.toUniverse()) });
      }
      expect((await keeper.tick()).dropped).toBeUndefined(); // the snapshot is younger than the retention
      now += 120_000;
      const round = await keeper.tick();
      expect(round.dropped).toBe(6); // the boot and the first five notes
      expect((await store.events()).map((e) => e.seq)).toEqual(states.slice(5).map((s) => s.revision));
      expect((await store.events({ path: 'am://data' })).map((e) => e.seq)).toEqual(states.slice(5).map((s) => s.revision));
      const history = new MetaHistory(store);
      await expect(history.at({ revision: states[2].revision })).rejects.toBeInstanceOf(FailedPreconditionError);
      for (const s of states.slice(4)) expect(text((await history.at({ revision: s.revision })).engine.toUniverse())).toBe(s.text);
      for (const fromSnapshots of [true, false]) {
        const restarted = new MetaProjection(env.etcd, store, { fromSnapshots });
        await restarted.start();
        expect(text(restarted.engine.toUniverse())).toBe(states.at(-1)!.text);
        await restarted.stop();
      }
    } finally {
      await p.stop();
    }
  });
});
