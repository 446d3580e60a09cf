import { KeyLayout } from '../keys';

/**
 * Where the metadata tree lives in etcd.
 *
 *   <prefix>meta/current                          → the generation id in force (absent = empty store)
 *   <prefix>meta/g/<gen>/n/<path>                 → one node (value: "{}")
 *   <prefix>meta/g/<gen>/a/<path>\0<tag>\0<unique> → one annotation (stored JSON)
 *   <prefix>meta/g/<gen>/stamp                    → id of the last event committed to the generation
 *   <prefix>meta/parts/<event id>/<n>             → part n of the universe a boot/import event loaded
 *   <prefix>events/<order>                        → one immutable event (its sequence number is the
 *                                                   revision of the transaction that wrote it)
 *   <prefix>history/self/<path>\0<order>          → index: an event on that path (value: its kind)
 *   <prefix>history/sub/<path>\0<order>           → index: an event in that path's subtree (root: the log itself)
 *   <prefix>history/resets/<order>                → index: a boot or import
 *   <prefix>history/removals/<order>              → index: a delete-node, boot or import (what removes nodes)
 *   <prefix>history/snap/<order>                  → a snapshot of the tree just after that event (manifest)
 *   <prefix>history/snap-parts/<order>/<n>        → part n of that snapshot's universe
 *   <prefix>history/horizon                       → the snapshot history starts at, once older events are dropped
 *
 * `<order>` is the revision the deciding view reflected (16 digits) and the event id: every write
 * compares the generation's stamp against that revision, so each event's order is at least the
 * revision of the one before it and less than its own — key order is commit order, and the log
 * and every index can be read from any point without reading what came before (MetaLog).
 *
 * Generations make boot/import atomic at any size: a new tree is written in chunks under a fresh
 * generation nobody reads, then one transaction flips `current`. The NUL separator (never valid in
 * a path or tag) keeps `am://user/hpe` and `am://user/hpe-labs` from sharing a key prefix.
 */
export class MetaLayout {
  readonly current: string;
  readonly events: string;
  /** Everything the tree is made of (nodes, annotations, `current`, stamps); events are outside. */
  readonly meta: string;
  readonly history: string;
  constructor(readonly prefix: string) {
    const keys = new KeyLayout(prefix);
    this.meta = keys.domain('meta');
    this.current = `${this.meta}current`;
    this.events = keys.domain('events');
    this.history = keys.domain('history');
  }
  generation(gen: string): string {
    return `${this.meta}g/${gen}/`;
  }
  node(gen: string, path: string): string {
    return `${this.generation(gen)}n/${path}`;
  }
  annotation(gen: string, path: string, tag: string, unique: bigint): string {
    return `${this.generation(gen)}a/${path}\0${tag}\0${unique}`;
  }
  /** All annotation keys of one node. */
  annotationsOf(gen: string, path: string): string {
    return `${this.generation(gen)}a/${path}\0`;
  }
  /** Touched by every commit to a generation, so an import can tell whether the tree changed under it. */
  stamp(gen: string): string {
    return `${this.generation(gen)}stamp`;
  }
  event(order: string): string {
    return `${this.events}${order}`;
  }
  /** The events on exactly `path`. */
  selfIndex(path: string): string {
    return `${this.history}self/${path}\0`;
  }
  /** The events on `path` and below it (for the root, read the log). */
  subtreeIndex(path: string): string {
    return `${this.history}sub/${path}\0`;
  }
  get resetIndex(): string {
    return `${this.history}resets/`;
  }
  get removalIndex(): string {
    return `${this.history}removals/`;
  }
  get horizon(): string {
    return `${this.history}horizon`;
  }
  get snapshots(): string {
    return `${this.history}snap/`;
  }
  snapshotParts(order: string): string {
    return `${this.history}snap-parts/${order}/`;
  }
  snapshotPart(order: string, n: number): string {
    return `${this.snapshotParts(order)}${String(n).padStart(6, '0')}`;
  }
  eventParts(id: string): string {
    return `${this.meta}parts/${id}/`;
  }
  eventPart(id: string, n: number): string {
    return `${this.eventParts(id)}${String(n).padStart(6, '0')}`;
  }

  /** Where an event stands in commit order (see above). */
  static order(decidedAt: number, id: string): string {
    return `${String(decidedAt).padStart(16, '0')}-${id}`;
  }
  /** The first order key an event decided at `revision` or later can have. */
  static orderFloor(revision: number): string {
    return String(Math.max(0, revision)).padStart(16, '0');
  }

  /** Classifies a key of generation `gen`. */
  parse(gen: string, key: string): { kind: 'node'; path: string } | { kind: 'annotation'; path: string; tag: string; unique: bigint } | undefined {
    const base = this.generation(gen);
    if (!key.startsWith(base)) return undefined;
    const rest = key.slice(base.length);
    if (rest.startsWith('n/')) return { kind: 'node', path: rest.slice(2) };
    if (rest.startsWith('a/')) {
      const [path, tag, unique] = rest.slice(2).split('\0');
      if (path && tag && unique) return { kind: 'annotation', path, tag, unique: BigInt(unique) };
    }
    return undefined;
  }
}
