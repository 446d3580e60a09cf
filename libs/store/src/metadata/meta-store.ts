import { comparePaths, ConflictError, FailedPreconditionError, parentPath, pathDepth, PayloadTooLargeError, ROOT_PATH, UnavailableError, type Annotation, type Universe } from '@am/model';
import type { ApprovedChange } from '@am/engine';
import { randomBytes } from 'node:crypto';
import { Range, type Etcd3, type IOperation } from 'etcd3';
import { decodeAnnotation, encodeAnnotation } from './codec';
import { annotationJson, replacesTree, type MetaEvent, type StoredEvent } from './events';
import { withDeadline } from '../deadline';
import { scanPrefix } from '../range-scan';
import { MetaLayout } from './layout';
import { MetaLog } from './log';

/** What the decision behind a write was based on, captured when the write was authorized. */
export interface WriteExpectations {
  generation: string;
  /** The store revision the deciding view reflected: keys the write relies on must not be newer. */
  revision: number;
}

export interface Snapshot {
  generation?: string;
  revision: number;
  universe: Universe;
}

/** A snapshot of the tree kept in the history: the state just after the event at `order`. */
export interface SnapshotManifest {
  order: string;
  seq: number;
  /** The time of that event. */
  time: string;
  generation?: string;
  nodes: number;
  parts: number;
}

export interface BootOptions {
  /** Replace a tree that exists (an operator's explicit choice). */
  force?: boolean;
  kind?: 'boot' | 'import';
  /** An import computed from the tree at this generation and revision: refused if it changed since. */
  replacing?: WriteExpectations;
  onProgress?: (written: number, total: number) => void;
}

export interface MetaStoreOptions {
  /** Keys per transaction when staging a boot/import (below etcd's --max-txn-ops). */
  chunkSize?: number;
  /** Keys per page when reading a snapshot (etcd 3.4 counts the rest of the range on every page, so pages are large). */
  pageSize?: number;
  /** Deadline of each etcd call. */
  timeoutMs?: number;
}

/** A write whose compares failed: the decision was based on state older than the store's. */
export class StaleWriteError extends ConflictError {
  constructor(
    message: string,
    /** The store revision when the write was refused: catch up to it before deciding again. */
    readonly currentRevision: number,
  ) {
    super(message);
  }
}

/** Target size of one stored part of a boot/import's universe (well below etcd's request limit). */
const PART_BYTES = 256 * 1024;
/** Stored parts read in one request (each about PART_BYTES). */
const PARTS_PER_READ = 32;
/** Staging transactions of a boot/import in flight at once. */
const STAGING_CONCURRENCY = 8;

const newId = () => `${Date.now().toString().padStart(13, '0')}-${randomBytes(6).toString('hex')}`;

/** Which events a history query asks for: on `path` (or its subtree) and after `after`; boots and imports always. */
export interface EventFilter {
  path?: string;
  subtree?: boolean;
  after?: number;
  /** Only events up to this sequence number. */
  upTo?: number;
}

/**
 * The metadata tree in etcd, event-sourced: every change writes an immutable event and the state it
 * describes in one transaction, committed only if nothing was written to the tree since the view
 * the decision was made on, and guarded by compares on the keys the change touches.
 */
export class MetaStore {
  readonly layout: MetaLayout;
  readonly log: MetaLog;
  private readonly chunkSize: number;
  private readonly pageSize: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly etcd: Etcd3,
    prefix: string,
    private readonly options: MetaStoreOptions = {},
  ) {
    this.layout = new MetaLayout(prefix);
    this.chunkSize = options.chunkSize ?? 100;
    this.pageSize = options.pageSize ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.log = new MetaLog(etcd, this.layout, (p) => this.guard(p));
  }

  /** The generation in force and the store's revision. */
  async head(): Promise<{ generation?: string; revision: number }> {
    const res = await this.guard(this.etcd.get(this.layout.current).exec());
    return { generation: res.kvs[0]?.value.toString(), revision: Number(res.header!.revision) };
  }

  /** A consistent snapshot: the generation in force and its whole tree, read at one revision. */
  async snapshot(): Promise<Snapshot> {
    const head = await this.guard(this.etcd.get(this.layout.current).exec());
    const revision = Number(head.header!.revision);
    const generation = head.kvs[0]?.value.toString();
    if (!generation) return { revision, universe: { nodes: [] } };
    const annotations = new Map<string, Annotation[]>();
    for await (const kv of scanPrefix(this.etcd, this.layout.generation(generation), { pageSize: this.pageSize, revision, guard: (p) => this.guard(p) })) {
      const key = this.layout.parse(generation, kv.key);
      if (key?.kind === 'node') {
        if (!annotations.has(key.path)) annotations.set(key.path, []);
      } else if (key?.kind === 'annotation') {
        const list = annotations.get(key.path) ?? [];
        list.push(decodeAnnotation(kv.value));
        annotations.set(key.path, list);
      }
    }
    const nodes = [...annotations.keys()].sort(byDepthThenPath).map((path) => ({ path, annotations: annotations.get(path)! }));
    return { generation, revision, universe: { nodes } };
  }

  /**
   * Loads a universe atomically: staged in chunks under a new generation nobody reads yet, then
   * one transaction makes it current and records the event. Refuses a non-empty store unless forced.
   */
  async boot(universe: Universe, actor: string, opts: BootOptions = {}): Promise<{ revision: number; generation: string }> {
    const head = await this.guard(this.etcd.get(this.layout.current).exec());
    const previous = head.kvs[0];
    if (previous && !opts.force && !opts.replacing) throw new FailedPreconditionError('data already exists');
    if (opts.replacing && previous?.value.toString() !== opts.replacing.generation) throw new StaleWriteError('the tree was replaced concurrently; retry', Number(head.header!.revision));
    const generation = newId();
    const eventId = newId();
    // The universe itself is part of the event (one part per transaction), so history can be
    // replayed from events alone; the state keys follow in chunks below --max-txn-ops.
    const batches: IOperation[][] = partition(universe).map((nodes, i) => [this.etcd.put(this.layout.eventPart(eventId, i)).value(JSON.stringify(nodes))]);
    const parts = batches.length;
    const state: IOperation[] = [];
    for (const node of universe.nodes) {
      state.push(this.etcd.put(this.layout.node(generation, node.path)).value('{}'));
      for (const a of node.annotations) state.push(this.etcd.put(this.layout.annotation(generation, node.path, a.tag, a.unique)).value(encodeAnnotation(a)));
    }
    for (let i = 0; i < state.length; i += this.chunkSize) batches.push(state.slice(i, i + this.chunkSize));
    const stillCurrent = () => this.etcd.if(this.layout.current, 'Mod', '==', previous ? Number(previous.mod_revision) : 0);
    try {
      let written = 0;
      const total = batches.reduce((n, b) => n + b.length, 0);
      // Several staging transactions in flight: they touch disjoint keys, and etcd batches their fsyncs.
      await eachConcurrently(batches, async (batch) => {
        const staged = await this.guard(stillCurrent().then(...batch).commit());
        if (!staged.succeeded) throw new FailedPreconditionError('data already exists');
        written += batch.length;
        opts.onProgress?.(written, total);
      });
      const event: StoredEvent = { id: eventId, time: new Date().toISOString(), actor, kind: opts.kind ?? 'boot', path: 'am://', nodes: universe.nodes.length, generation, parts };
      const flipped = await this.flip(event, generation, previous && { generation: previous.value.toString(), modRevision: Number(previous.mod_revision) }, opts);
      if (previous) await this.guard(this.etcd.delete().prefix(this.layout.generation(previous.value.toString())).exec());
      return { revision: flipped, generation };
    } catch (err) {
      // Nothing staged is visible; remove it so a failed boot leaves no trace.
      await this.etcd.delete().prefix(this.layout.generation(generation)).exec().catch(() => undefined);
      await this.etcd.delete().prefix(this.layout.eventParts(eventId)).exec().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Makes a staged generation current and records its event. The event's order is a revision read
   * just before, and the flip requires that no write landed in the old tree since (else it reads
   * again, a few times): so the boot sorts after every event of the tree it replaces.
   */
  private async flip(event: StoredEvent, generation: string, previous: { generation: string; modRevision: number } | undefined, opts: BootOptions): Promise<number> {
    const L = this.layout;
    for (let attempt = 0; attempt < 10; attempt++) {
      const head = Number((await this.guard(this.etcd.get(L.current).exec())).header!.revision);
      const order = MetaLayout.order(head, event.id);
      const flip = this.etcd.if(L.current, 'Mod', '==', previous?.modRevision ?? 0);
      if (previous) flip.and(L.stamp(previous.generation), 'Mod', '<', head + 1);
      // An import decided on a view at revision R: no write may have landed in that tree since.
      if (opts.replacing) flip.and(L.stamp(opts.replacing.generation), 'Mod', '<', opts.replacing.revision + 1);
      const flipped = await this.guard(flip.then(this.etcd.put(L.current).value(generation), this.etcd.put(L.event(order)).value(JSON.stringify(event)), ...this.indexOps(event, order)).commit());
      if (flipped.succeeded) return Number(flipped.header!.revision);
      const now = await this.guard(this.etcd.get(L.current).exec());
      if (Number(now.kvs[0]?.mod_revision ?? 0) !== (previous?.modRevision ?? 0)) throw new FailedPreconditionError('data already exists');
      if (opts.replacing) throw new StaleWriteError('the tree changed while the import was prepared; retry', Number(flipped.header!.revision));
      // A write to the old tree landed after `head`: read again.
    }
    throw new UnavailableError('the tree kept changing while a boot was committed; retry');
  }

  /** The index entries an event is listed under (MetaLayout): its path, each ancestor's subtree, resets and removals. */
  private indexKeys(event: Pick<StoredEvent, 'kind' | 'path'>, order: string): string[] {
    const L = this.layout;
    const keys = [L.selfIndex(event.path)];
    for (let p = event.path; p !== ROOT_PATH; p = parentPath(p)) keys.push(L.subtreeIndex(p));
    if (replacesTree(event)) keys.push(L.resetIndex);
    if (replacesTree(event) || event.kind === 'delete-node') keys.push(L.removalIndex);
    return keys.map((prefix) => `${prefix}${order}`);
  }

  private indexOps(event: StoredEvent, order: string): IOperation[] {
    return this.indexKeys(event, order).map((key) => this.etcd.put(key).value(event.kind));
  }

  /** Commits an approved change with its event; a stale decision is a ConflictError. */
  async commit(change: ApprovedChange, actor: string, expect: WriteExpectations): Promise<{ revision: number }> {
    const g = expect.generation;
    const L = this.layout;
    // Nothing written to the tree since the deciding view: a decision rests on more than the keys
    // this change touches (the caller's roles, ACEs up the tree), so any later write makes it stale.
    const txn = this.etcd.if(L.current, 'Value', '==', g).and(L.stamp(g), 'Mod', '<', expect.revision + 1);
    const ops: IOperation[] = [];
    const event: StoredEvent = { id: newId(), time: new Date().toISOString(), actor, kind: change.kind, path: change.path };
    switch (change.kind) {
      case 'create-node': {
        txn.and(L.node(g, change.path), 'Create', '==', 0);
        const parent = parentPath(change.path);
        // The parent the decision saw: still there, and not deleted and created again since (maybe
        // as a leaf, which would leave a child under a leaf that no projection can load).
        txn.and(L.node(g, parent), 'Create', '>', 0).and(L.node(g, parent), 'Create', '<', expect.revision + 1);
        // Touching the parent makes a concurrent recursive delete of it fail its compare.
        ops.push(this.etcd.put(L.node(g, parent)).value('{}'));
        ops.push(this.etcd.put(L.node(g, change.path)).value('{}'));
        for (const a of change.annotations) ops.push(this.etcd.put(L.annotation(g, change.path, a.tag, a.unique)).value(encodeAnnotation(a)));
        event.annotations = change.annotations.map((a) => annotationJson(a)!);
        break;
      }
      case 'delete-node':
        // The removed list is complete only if no removed node changed after the deciding view
        // (creating a child touches its parent, so a new child shows up here too).
        for (const path of change.removed) {
          txn.and(L.node(g, path), 'Mod', '<', expect.revision + 1);
          ops.push(this.etcd.delete().key(L.node(g, path)), this.etcd.delete().prefix(L.annotationsOf(g, path)));
        }
        event.removed = [...change.removed];
        break;
      case 'put-annotation': {
        const key = L.annotation(g, change.path, change.annotation.tag, change.annotation.unique);
        txn.and(L.node(g, change.path), 'Create', '>', 0);
        if (change.previous) txn.and(key, 'Value', '==', encodeAnnotation(change.previous));
        else txn.and(key, 'Create', '==', 0);
        ops.push(this.etcd.put(key).value(encodeAnnotation(change.annotation)));
        event.before = annotationJson(change.previous);
        event.after = annotationJson(change.annotation);
        break;
      }
      case 'delete-annotation': {
        const key = L.annotation(g, change.path, change.annotation.tag, change.annotation.unique);
        txn.and(key, 'Value', '==', encodeAnnotation(change.annotation));
        ops.push(this.etcd.delete().key(key));
        event.before = annotationJson(change.annotation);
        event.after = null;
        break;
      }
    }
    const order = MetaLayout.order(expect.revision, event.id);
    ops.push(this.etcd.put(L.event(order)).value(JSON.stringify(event)), this.etcd.put(L.stamp(g)).value(event.id), ...this.indexOps(event, order));
    const result = await this.guard(txn.then(...ops).commit());
    if (!result.succeeded) throw new StaleWriteError(conflictMessage(change), Number(result.header!.revision));
    return { revision: Number(result.header!.revision) };
  }

  /**
   * Events in commit order, optionally only those on a path or its subtree and after a sequence
   * number: read from the log or from the path's indexes, never the whole log for one path.
   */
  async events(filter: EventFilter & { first?: number } = {}): Promise<MetaEvent[]> {
    const range = { after: filter.after, upTo: filter.upTo };
    const first = filter.first ?? Infinity;
    let out: MetaEvent[] = [];
    if (!filter.path || (filter.subtree && filter.path === ROOT_PATH)) {
      for await (const e of this.log.events(range)) {
        if (out.length >= first) break;
        out.push(e);
      }
    } else {
      const orders: { order: string; seq: number }[] = [];
      const indexes = [filter.subtree ? this.layout.subtreeIndex(filter.path) : this.layout.selfIndex(filter.path), this.layout.resetIndex];
      for (const index of indexes) {
        let n = 0;
        for await (const e of this.log.entries(index, range)) {
          if (n++ >= first) break;
          orders.push(e);
        }
      }
      orders.sort((a, b) => a.seq - b.seq);
      const unique = orders.filter((o, i) => i === 0 || orders[i - 1].seq !== o.seq).slice(0, first);
      out = await this.log.eventsAt(unique.map((o) => o.order));
    }
    return out;
  }

  /** The universe a boot/import event loaded, read back from its stored parts. */
  async bootedUniverse(event: MetaEvent): Promise<Universe> {
    return this.readParts(this.layout.eventParts(event.id), event.parts ?? 0, `event ${event.id}`);
  }

  /** Where the kept history starts (AM_HISTORY_RETENTION), if older events were dropped. */
  async horizon(): Promise<SnapshotManifest | undefined> {
    const res = await this.guard(this.etcd.get(this.layout.horizon).exec());
    return res.kvs[0] ? (JSON.parse(res.kvs[0].value.toString()) as SnapshotManifest) : undefined;
  }

  /** About how many events follow sequence number `seq` (exact but for one at the edge; for deciding when to snapshot). */
  async countEventsAfter(seq: number): Promise<number> {
    const from = `${this.layout.events}${MetaLayout.orderFloor(seq + 1)}`;
    return this.guard(this.etcd.getAll().inRange(new Range(from, Range.prefix(this.layout.events).end)).count());
  }

  /**
   * Retention: makes `boundary` the horizon (time travel before it is refused from then on), then
   * drops every event up to it with its index entries and stored parts, and the older snapshots.
   * Costs what it drops. Returns the number of events dropped.
   */
  async dropHistoryBefore(boundary: SnapshotManifest): Promise<number> {
    const L = this.layout;
    await this.guard(this.etcd.put(L.horizon).value(JSON.stringify(boundary)).exec());
    let dropped = 0;
    let ops: IOperation[] = [];
    const flush = async () => {
      if (ops.length) await this.guard(this.etcd.if(L.horizon, 'Create', '>', 0).then(...ops).commit());
      ops = [];
    };
    for await (const e of this.log.events({ upTo: boundary.seq })) {
      const mine = [L.event(e.order), ...this.indexKeys(e, e.order)].map((key) => this.etcd.delete().key(key));
      if (replacesTree(e)) mine.push(this.etcd.delete().prefix(L.eventParts(e.id)));
      if (ops.length + mine.length > this.chunkSize) await flush();
      ops.push(...mine);
      dropped++;
    }
    await flush();
    for (const m of await this.snapshots()) {
      if (m.seq >= boundary.seq) continue;
      await this.guard(this.etcd.delete().key(`${L.snapshots}${m.order}`).exec());
      await this.guard(this.etcd.delete().prefix(L.snapshotParts(m.order)).exec());
    }
    return dropped;
  }

  /** The snapshots of the tree kept in the history, oldest first. */
  async snapshots(): Promise<SnapshotManifest[]> {
    const res = await this.guard(this.etcd.getAll().prefix(this.layout.snapshots).exec());
    return res.kvs.map((kv) => JSON.parse(kv.value.toString()) as SnapshotManifest).sort((a, b) => a.seq - b.seq);
  }

  /** The tree a snapshot holds. */
  async snapshotUniverse(m: SnapshotManifest): Promise<Universe> {
    return this.readParts(this.layout.snapshotParts(m.order), m.parts, `snapshot ${m.order}`);
  }

  /**
   * Keeps `universe` as the tree just after the event `at` (in generation `generation`): parts
   * first, then the manifest that makes it visible, so a snapshot cut short is never used.
   */
  async saveSnapshot(universe: Universe, at: { order: string; seq: number; time: string }, generation: string | undefined): Promise<SnapshotManifest> {
    const parts = partition(universe);
    try {
      await eachConcurrently(parts, (part, i) => this.guard(this.etcd.put(this.layout.snapshotPart(at.order, i)).value(JSON.stringify(part)).exec()));
      const manifest: SnapshotManifest = { order: at.order, seq: at.seq, time: at.time, generation, nodes: universe.nodes.length, parts: parts.length };
      await this.guard(this.etcd.put(`${this.layout.snapshots}${at.order}`).value(JSON.stringify(manifest)).exec());
      return manifest;
    } catch (err) {
      await this.etcd.delete().prefix(this.layout.snapshotParts(at.order)).exec().catch(() => undefined);
      throw err;
    }
  }

  /** Reads `count` stored parts of a universe under `prefix`, several per request. */
  private async readParts(prefix: string, count: number, what: string): Promise<Universe> {
    const nodes: { path: string; annotations: Annotation[] }[] = [];
    let seen = 0;
    for await (const kv of scanPrefix(this.etcd, prefix, { pageSize: PARTS_PER_READ, guard: (p) => this.guard(p) })) {
      for (const n of JSON.parse(kv.value) as { path: string; annotations: string[] }[]) {
        nodes.push({ path: n.path, annotations: n.annotations.map(decodeAnnotation) });
      }
      seen++;
    }
    if (seen !== count) throw new UnavailableError(`${what}: ${count - seen} of its ${count} parts are missing`);
    return { nodes };
  }

  /** Turns etcd transport failures and timeouts into UnavailableError; never hangs past the deadline. */
  private async guard<T>(p: Promise<T>): Promise<T> {
    try {
      return await withDeadline(p, this.timeoutMs, () => new UnavailableError(`etcd did not answer within ${this.timeoutMs} ms`));
    } catch (err) {
      if (err instanceof UnavailableError || err instanceof ConflictError || err instanceof FailedPreconditionError) throw err;
      // The request itself is over etcd's --max-request-bytes: retrying cannot help, so not 503.
      // The model's limits keep changes under it; this is the backstop for anything they miss.
      if (/request is too large/.test((err as Error).message)) throw new PayloadTooLargeError('the change is larger than the store accepts in one request (etcd --max-request-bytes, 1.5 MiB by default)');
      throw new UnavailableError(`etcd unavailable: ${(err as Error).message}`);
    }
  }
}

/** Runs `fn` on every item, STAGING_CONCURRENCY at a time, in order of start; the first failure rejects. */
async function eachConcurrently<T>(items: readonly T[], fn: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: STAGING_CONCURRENCY }, worker));
}

/** Splits a universe into parts of about PART_BYTES of encoded annotations, parents before children. */
function partition(universe: Universe): { path: string; annotations: string[] }[][] {
  const parts: { path: string; annotations: string[] }[][] = [];
  let current: { path: string; annotations: string[] }[] = [];
  let bytes = 0;
  for (const node of universe.nodes) {
    const encoded = { path: node.path, annotations: node.annotations.map(encodeAnnotation) };
    const size = node.path.length + encoded.annotations.reduce((n, a) => n + a.length, 0);
    if (current.length > 0 && bytes + size > PART_BYTES) {
      parts.push(current);
      current = [];
      bytes = 0;
    }
    current.push(encoded);
    bytes += size;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

function conflictMessage(change: ApprovedChange): string {
  switch (change.kind) {
    case 'create-node':
      return `${change.path}: already exists (or its parent was removed)`;
    case 'put-annotation':
      return change.previous
        ? `version mismatch on ${change.path}#${change.annotation.tag}-${change.annotation.unique}: it changed since version ${change.previous.version}`
        : `${change.path}#${change.annotation.tag}-${change.annotation.unique} already exists (or the node was removed)`;
    default:
      return `${change.path} changed concurrently; retry`;
  }
}

/** Parents before children, so a tree can be rebuilt (or torn down, reversed) in this order. */
export function byDepthThenPath(a: string, b: string): number {
  return pathDepth(a) - pathDepth(b) || comparePaths(a, b);
}
