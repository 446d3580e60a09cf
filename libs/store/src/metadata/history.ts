import { AccessEngine } from '@am/engine';
import { FailedPreconditionError, InvalidArgumentError, type Universe } from '@am/model';
import { decodeAnnotation } from './codec';
import { replacesTree, type MetaEvent } from './events';
import type { MetaStore } from './meta-store';

/** A point in the past: a store revision, or an instant (ISO 8601). */
export type PointInTime = { revision: number; time?: undefined } | { time: string; revision?: undefined };

export interface PastTree {
  engine: AccessEngine;
  /** The sequence number of the last event the tree reflects (0 before the first boot). */
  revision: number;
  /** The instant of that point (Unix ms): the time asked for, or the time of the event at the revision (0 before the first). */
  time: number;
}

/** What to look at around each event of a replay: the tree just before it, and just after. */
export interface EventVisit {
  before?(tree: AccessEngine, e: MetaEvent): void;
  after?(tree: AccessEngine, e: MetaEvent): void;
}

const decode = (json: unknown) => decodeAnnotation(JSON.stringify(json));

/** Applies one recorded change to a tree, exactly as the projection applied its state keys. */
export function replayEvent(engine: AccessEngine, e: MetaEvent): void {
  switch (e.kind) {
    case 'create-node':
      return engine.createNode(e.path, (e.annotations ?? []).map(decode));
    case 'delete-node':
      if (engine.has(e.path)) engine.deleteNode(e.path);
      return;
    case 'put-annotation':
      return engine.putAnnotation(e.path, decode(e.after));
    case 'delete-annotation': {
      const before = decode(e.before);
      engine.deleteAnnotation(e.path, before.tag, before.unique);
      return;
    }
    default:
      throw new InvalidArgumentError(`event ${e.seq} (${e.kind}) cannot be replayed incrementally`);
  }
}

/** Stored universes (snapshots, boots) kept decoded for the next replays from them. */
const ORIGINS_KEPT = 2;

/** Where a past tree is rebuilt from: a snapshot or a boot/import at or before the point, or the empty tree. */
interface Origin {
  seq: number;
  time: number;
  universe: () => Promise<Universe>;
}

/**
 * Time travel: the tree as it was at any past revision or instant, rebuilt from the nearest
 * snapshot or boot/import at or before that point and the events after it (read from that point
 * in the log, never from its start). Rebuilt trees are kept in a small LRU keyed by the event they
 * end at, so repeated questions about the same moment cost one replay.
 */
export class MetaHistory {
  private readonly trees: Lru<number, AccessEngine>;
  private readonly origins = new Lru<string, Promise<Universe>>(ORIGINS_KEPT);

  constructor(
    private readonly store: MetaStore,
    cacheSize = 4,
  ) {
    this.trees = new Lru(cacheSize);
  }

  /** The tree at `point` (after the last event at or before it). */
  async at(point: PointInTime): Promise<PastTree> {
    const cutoff = point.time !== undefined ? Date.parse(point.time) : undefined;
    if (cutoff !== undefined && Number.isNaN(cutoff)) throw new InvalidArgumentError(`invalid time ${JSON.stringify(point.time)}`);
    if (cutoff === undefined) {
      const last = await this.store.log.lastUpTo(this.store.layout.events, point.revision!);
      const cached = last && this.trees.get(last.seq);
      if (cached) return { engine: cached, revision: last.seq, time: Date.parse((await this.store.log.eventsAt([last.order]))[0]?.time ?? '') || 0 };
      const origin = await this.origin({ seq: point.revision! });
      const { engine, last: replayed } = await this.replayFrom(origin, { upTo: point.revision });
      return this.remember(engine, replayed?.seq ?? origin.seq, replayed ? Date.parse(replayed.time) : origin.time);
    }
    // An instant: the state just before the first change recorded after it.
    const origin = await this.origin({ time: cutoff });
    const { engine, last } = await this.replayFrom(origin, { keep: (e) => Date.parse(e.time) <= cutoff });
    const revision = last?.seq ?? origin.seq;
    const tree = this.remember(engine, revision, cutoff);
    return { ...tree, time: cutoff };
  }

  /**
   * Many questions about the past in one replay: for each event `e` whose seq is in `seqs`, calls
   * `visit.before(tree, e)` on the tree just before `e` was applied and `visit.after(tree, e)` just
   * after. One pass from the nearest snapshot or boot/import before the earliest of them to the
   * latest. The trees are fresh (never the cached ones).
   */
  async around(seqs: ReadonlySet<number>, visit: EventVisit): Promise<void> {
    if (seqs.size === 0) return;
    let first = Infinity;
    let last = -Infinity;
    for (const seq of seqs) [first, last] = [Math.min(first, seq), Math.max(last, seq)];
    await this.replayFrom(await this.origin({ seq: first - 1 }), { upTo: last, asked: seqs, visit });
  }

  /**
   * Replays the events after `origin` (commit order) up to `upTo` and while `keep` holds; `visit`
   * sees the tree just before and just after each event in `asked`.
   */
  private async replayFrom(
    origin: Origin,
    how: { upTo?: number; keep?: (e: MetaEvent) => boolean; asked?: ReadonlySet<number>; visit?: EventVisit },
  ): Promise<{ engine: AccessEngine; last?: MetaEvent }> {
    let engine = AccessEngine.fromUniverse(await origin.universe());
    let last: MetaEvent | undefined;
    for await (const e of this.store.log.events({ after: origin.seq, upTo: how.upTo })) {
      if (how.keep && !how.keep(e)) break;
      const asked = how.asked?.has(e.seq);
      if (asked) how.visit?.before?.(engine, e);
      if (replacesTree(e)) engine = AccessEngine.fromUniverse(await this.stored(e.order, () => this.store.bootedUniverse(e)));
      else replayEvent(engine, e);
      if (asked) how.visit?.after?.(engine, e);
      last = e;
    }
    return { engine, last };
  }

  /** The latest snapshot or boot/import at or before a sequence number or an instant. */
  private async origin(point: { seq: number; time?: undefined } | { time: number; seq?: undefined }): Promise<Origin> {
    const store = this.store;
    const before = (seq: number, time: number) => (point.time !== undefined ? time <= point.time : seq <= point.seq!);
    const horizon = await store.horizon();
    if (horizon && (point.time !== undefined ? point.time < Date.parse(horizon.time) : point.seq! < horizon.seq)) {
      throw new FailedPreconditionError(`history before revision ${horizon.seq} (${horizon.time}) is no longer kept (AM_HISTORY_RETENTION)`);
    }
    let best: Origin = { seq: 0, time: 0, universe: async () => ({ nodes: [] }) };
    for (const m of await store.snapshots()) {
      if (before(m.seq, Date.parse(m.time)) && m.seq > best.seq) best = { seq: m.seq, time: Date.parse(m.time), universe: () => this.stored(m.order, () => store.snapshotUniverse(m)) };
    }
    const resets: MetaEvent[] = [];
    if (point.time === undefined) {
      const last = await store.log.lastUpTo(store.layout.resetIndex, point.seq);
      if (last) resets.push(...(await store.log.eventsAt([last.order])));
    } else {
      const all: string[] = [];
      for await (const r of store.log.entries(store.layout.resetIndex)) all.push(r.order);
      resets.push(...(await store.log.eventsAt(all)));
    }
    for (const r of resets) {
      if (before(r.seq, Date.parse(r.time)) && r.seq > best.seq) best = { seq: r.seq, time: Date.parse(r.time), universe: () => this.stored(r.order, () => store.bootedUniverse(r)) };
    }
    return best;
  }

  /** A stored universe (a snapshot's, a boot's: never changed once written), read once while it is among the last few used. */
  private stored(order: string, read: () => Promise<Universe>): Promise<Universe> {
    const hit = this.origins.get(order);
    if (hit) return hit;
    const reading = read().catch((err: unknown) => {
      this.origins.delete(order);
      throw err;
    });
    this.origins.set(order, reading);
    return reading;
  }

  private remember(engine: AccessEngine, revision: number, time: number): PastTree {
    this.trees.set(revision, engine);
    return { engine, revision, time };
  }
}

/** The last `size` entries used. */
class Lru<K, V> {
  private readonly entries = new Map<K, V>();
  constructor(private readonly size: number) {}

  get(key: K): V | undefined {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}
