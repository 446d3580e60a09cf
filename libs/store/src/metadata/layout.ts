import { KeyLayout } from '../keys';

/**
 * Where the metadata tree lives in etcd.
 *
 *   <prefix>meta/current                          → the generation id in force (absent = empty store)
 *   <prefix>meta/g/<gen>/n/<path>                 → one node (value: "{}")
 *   <prefix>meta/g/<gen>/a/<path>\0<tag>\0<unique> → one annotation (stored JSON)
 *   <prefix>meta/g/<gen>/stamp                    → id of the last event committed to the generation
 *   <prefix>events/<id>                           → one immutable event (its sequence number is the
 *                                                   revision of the transaction that wrote it)
 *   <prefix>meta/parts/<event id>/<n>             → part n of the universe a boot/import event loaded
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
  constructor(readonly prefix: string) {
    const keys = new KeyLayout(prefix);
    this.meta = keys.domain('meta');
    this.current = `${this.meta}current`;
    this.events = keys.domain('events');
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
  event(id: string): string {
    return `${this.events}${id}`;
  }
  eventParts(id: string): string {
    return `${this.meta}parts/${id}/`;
  }
  eventPart(id: string, n: number): string {
    return `${this.eventParts(id)}${String(n).padStart(6, '0')}`;
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
