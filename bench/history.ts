// History at scale: a generated tree with many events on real etcd, then time travel (details and
// a check as of random past revisions) replayed from the nearest snapshot versus from the boot
// alone (what every asOf cost before snapshots: the whole log read and replayed), the history of
// one node from its index, and a projection start from a snapshot versus from every key.
import type { ApprovedChange } from '@am/engine';
import { Op } from '@am/model';
import { HistoryKeeper, MetaHistory, MetaProjection, MetaStore } from '@am/store';
import { generateUniverse, TestInfra } from '@am/testing';

const NODES = Number(process.env.BENCH_NODES ?? 100_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const SNAPSHOT_EVERY = Number(process.env.BENCH_SNAPSHOT_EVERY ?? 1000);
const QUESTIONS = 100;

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main() {
  const infra = await TestInfra.start();
  const etcd = infra.etcdClient();
  try {
    const generated = generateUniverse(NODES, 3);
    const { universe } = generated;
    const store = new MetaStore(etcd, '/bench-history/');
    await store.boot(universe, 'bench');
    const p = new MetaProjection(etcd, store);
    await p.start();
    const target = generated.dataDirectories[0] ?? generated.orgDirectories[0];
    const principal = generated.principals[0];
    const keeper = new HistoryKeeper(p, store, { snapshotEvery: SNAPSHOT_EVERY });
    const revisions: number[] = [];
    const t0 = process.hrtime.bigint();
    // Notes on one node in the tree: writes as policy commits them, one after another.
    for (let i = 0; i < EVENTS; i++) {
      const change: ApprovedChange = { kind: 'put-annotation', path: target, annotation: { tag: 'note', unique: BigInt(5_000_000 + i), version: 1, startMillis: 0, endMillis: 0, data: `n${i}` } };
      const { revision } = await store.commit(change, 'bench', p.expectations());
      await p.atLeast(revision);
      revisions.push(revision);
      if ((i + 1) % SNAPSHOT_EVERY === 0) await keeper.tick();
    }
    const writeS = ms(t0) / 1000;
    process.stderr.write(`${EVENTS} events written in ${writeS.toFixed(1)} s\n`);

    const ask = async (history: MetaHistory, points: number[]) => {
      const lat: number[] = [];
      for (let q = 0; q < QUESTIONS; q++) {
        const at = points[q % points.length];
        const t = process.hrtime.bigint();
        const past = await history.at({ revision: at });
        past.engine.check(principal, target, [Op.VIEW], past.time);
        past.engine.node(target);
        lat.push(ms(t));
      }
      return { p50: pct(lat, 50), p99: pct(lat, 99) };
    };
    const random = (k: number) => Array.from({ length: k }, () => revisions[Math.floor(Math.random() * revisions.length)]);
    const metrics: { name: string; value: number; unit: string }[] = [];
    for (const k of [1, 10, 100]) {
      const points = random(k);
      const snap = await ask(new MetaHistory(store), points);
      metrics.push({ name: `asOf details+check, ${k} past revisions: p50 (from snapshots)`, value: snap.p50, unit: 'ms' }, { name: `asOf details+check, ${k} past revisions: p99 (from snapshots)`, value: snap.p99, unit: 'ms' });
      process.stderr.write(`asOf ${k}: ${JSON.stringify(snap)}\n`);
    }
    // The same questions with no snapshot to start from: the replay from the boot, as before.
    const snapshots = await store.snapshots();
    await etcd.delete().prefix(store.layout.snapshots).exec();
    const few = random(10).slice(0, 3);
    const lat: number[] = [];
    for (const at of few) {
      const t = process.hrtime.bigint();
      const past = await new MetaHistory(store).at({ revision: at });
      past.engine.check(principal, target, [Op.VIEW], past.time);
      lat.push(ms(t));
    }
    metrics.push({ name: 'asOf details+check from the boot (no snapshots; before this change): median of 3', value: pct(lat, 50), unit: 'ms' });
    for (const m of snapshots) await etcd.put(`${store.layout.snapshots}${m.order}`).value(JSON.stringify(m)).exec();

    const hist: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = process.hrtime.bigint();
      await store.events({ path: principal });
      hist.push(ms(t));
    }
    metrics.push({ name: `history of one untouched node (${EVENTS.toLocaleString('en-US')}-event store)`, value: pct(hist, 50), unit: 'ms' });
    const page: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = process.hrtime.bigint();
      await store.events({ path: target, first: 1000, after: revisions[Math.floor(revisions.length / 2)] });
      page.push(ms(t));
    }
    metrics.push({ name: 'history of the busy node: a page of 1,000 from the middle', value: pct(page, 50), unit: 'ms' });

    for (const fromSnapshots of [false, true]) {
      const t = process.hrtime.bigint();
      const q = new MetaProjection(etcd, store, { fromSnapshots });
      await q.start();
      metrics.push({ name: `projection start from ${fromSnapshots ? 'a snapshot + watch' : 'every key'}`, value: ms(t) / 1000, unit: 's' });
      await q.stop();
    }
    await p.stop();
    console.log(
      JSON.stringify({
        title: `History at scale: ${NODES.toLocaleString('en-US')}-node tree, ${EVENTS.toLocaleString('en-US')} events, a snapshot every ${SNAPSHOT_EVERY.toLocaleString('en-US')} (real etcd, one process)`,
        metrics,
        notes: `${QUESTIONS} questions per row, each a cold MetaHistory (no LRU hit across rows); writes ${(EVENTS / writeS).toFixed(0)} events/s one at a time. BENCH_NODES / BENCH_EVENTS / BENCH_SNAPSHOT_EVERY set the sizes.`,
      }),
    );
  } finally {
    etcd.close();
    await infra.stop();
  }
}

void main();
