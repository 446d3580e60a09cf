import { AccessEngine } from '@am/engine';
import { InvalidArgumentError } from '@am/model';
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

/**
 * Time travel: the tree as it was at any past revision or instant, rebuilt from the events alone
 * (the last boot/import at or before that point, then every change after it, in commit order).
 * Rebuilt trees are kept in a small LRU keyed by the event they end at, so repeated questions
 * about the same moment cost one replay.
 */
export class MetaHistory {
  private readonly cache = new Map<number, AccessEngine>();

  constructor(
    private readonly store: MetaStore,
    private readonly cacheSize = 4,
  ) {}

  /** The tree at `point`; `events` is the whole log when the caller has read it already (else it is read here). */
  async at(point: PointInTime, events?: readonly MetaEvent[]): Promise<PastTree> {
    events ??= await this.store.events();
    const cutoff = point.time !== undefined ? Date.parse(point.time) : undefined;
    if (cutoff !== undefined && Number.isNaN(cutoff)) throw new InvalidArgumentError(`invalid time ${JSON.stringify(point.time)}`);
    const upTo = events.filter((e) => (cutoff !== undefined ? Date.parse(e.time) <= cutoff : e.seq <= point.revision!));
    const last = upTo.at(-1);
    const revision = last?.seq ?? 0;
    const time = cutoff ?? (last ? Date.parse(last.time) : 0);
    const cached = this.cache.get(revision);
    if (cached) {
      this.cache.delete(revision);
      this.cache.set(revision, cached);
      return { engine: cached, revision, time };
    }
    const engine = await this.replay(upTo);
    this.cache.set(revision, engine);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return { engine, revision, time };
  }

  /** Replays a prefix of the history: from its last boot/import (or an empty tree) onwards. */
  async replay(events: readonly MetaEvent[]): Promise<AccessEngine> {
    const start = lastReset(events, events.length);
    const engine = await this.treeOf(events[start]);
    for (const e of events.slice(start + 1)) replayEvent(engine, e);
    return engine;
  }

  /**
   * Many questions about the past in one replay: for each event `e` of `events` (the whole log, in
   * order) whose seq is in `seqs`, calls `visit.before(tree, e)` on the tree just before `e` was
   * applied and `visit.after(tree, e)` just after. One pass from the last boot/import before the
   * earliest of them, whatever their number. The trees are fresh (never the cached ones).
   */
  async around(events: readonly MetaEvent[], seqs: ReadonlySet<number>, visit: EventVisit): Promise<void> {
    if (seqs.size === 0) return;
    let first = Infinity;
    let last = -Infinity;
    for (const seq of seqs) [first, last] = [Math.min(first, seq), Math.max(last, seq)];
    const from = events.findIndex((e) => e.seq >= first);
    if (from < 0) return;
    const start = lastReset(events, from);
    let tree = await this.treeOf(events[start]);
    for (let i = start + 1; i < events.length && events[i].seq <= last; i++) {
      const e = events[i];
      const asked = seqs.has(e.seq);
      if (asked) visit.before?.(tree, e);
      if (replacesTree(e)) tree = await this.treeOf(e);
      else replayEvent(tree, e);
      if (asked) visit.after?.(tree, e);
    }
  }

  /** The tree a boot/import loaded, or the empty tree before the first. */
  private async treeOf(reset: MetaEvent | undefined): Promise<AccessEngine> {
    return AccessEngine.fromUniverse(reset ? await this.store.bootedUniverse(reset) : { nodes: [] });
  }
}

/** The index of the last boot/import before `before` (-1: none, the tree starts empty). */
function lastReset(events: readonly MetaEvent[], before: number): number {
  let i = before - 1;
  while (i >= 0 && !replacesTree(events[i])) i--;
  return i;
}
