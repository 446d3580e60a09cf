import { AccessEngine } from '@am/engine';
import { UnavailableError, type Annotation } from '@am/model';
import type { Etcd3, Watcher } from 'etcd3';
import { withDeadline } from '../deadline';
import { decodeAnnotation } from './codec';
import { byDepthThenPath, MetaStore, type WriteExpectations } from './meta-store';

interface KeyChange {
  type: 'put' | 'delete';
  key: string;
  value: string;
  modRevision: number;
}

/** How long the loading of a whole new tree (boot, import) may take before it counts as failed. */
export const TREE_LOAD_TIMEOUT_MS = 5 * 60_000;

export interface ProjectionOptions {
  /** How long a read "at least revision R" may wait before failing as unavailable. */
  consistencyTimeoutMs?: number;
  onError?: (err: Error) => void;
  /** Told each store revision whose changes were applied incrementally (for metrics and tests). */
  onApplied?: (revision: number) => void;
  /**
   * Start from the newest snapshot of the current tree in the history (HistoryKeeper) and catch up
   * by watch from its revision, instead of reading every key of the tree (a full read remains the
   * fallback: no snapshot, or one etcd has compacted past).
   */
  fromSnapshots?: boolean;
  /** Told how the start went (for the log). */
  onStarted?: (how: { from: 'snapshot' | 'keys'; nodes: number; ms: number }) => void;
}

/**
 * A service's in-memory view of the metadata tree: a snapshot at revision R, then every change
 * from R+1 applied incrementally to the decision engine. `revision` is the store revision the view
 * reflects; `atLeast(R)` waits (bounded) until the view has caught up with a write at R.
 */
export class MetaProjection {
  engine: AccessEngine = AccessEngine.fromUniverse({ nodes: [] });
  generation?: string;
  revision = 0;
  /** How the last start loaded the tree. */
  loadedFrom?: 'snapshot' | 'keys';
  private watcher?: Watcher;
  private waiters: { revision: number; resolve: () => void }[] = [];
  private reloading?: Promise<void>;
  /** Watch batches that arrived while a reload was in flight, applied on top of its snapshot. */
  private held: { changes: KeyChange[]; headerRevision: number }[] = [];
  /** The pause before the next snapshot after one failed (0 while etcd answers). */
  private retryDelayMs = 0;
  private stopped = false;

  constructor(
    private readonly etcd: Etcd3,
    readonly store: MetaStore,
    private readonly options: ProjectionOptions = {},
  ) {}

  get empty(): boolean {
    return this.generation === undefined;
  }

  /** What a write decided on this view must compare against; call it when authorizing. */
  expectations(): WriteExpectations {
    const generation = this.generation;
    if (!generation) throw new UnavailableError('the metadata store is empty; boot a universe first');
    return { generation, revision: this.revision };
  }

  async start(): Promise<void> {
    const started = Date.now();
    const head = this.options.fromSnapshots ? await this.loadSnapshot() : undefined;
    if (head === undefined) await this.reload();
    // Only the tree's own keys: every other domain (credential events above all, one per issued
    // credential) would cost etcd a send and this process a decode per key for nothing.
    this.watcher = await this.etcd
      .watch()
      .prefix(this.store.layout.meta)
      .startRevision(String(this.revision + 1))
      .create();
    this.watcher.on('data', (res) => {
      const changes: KeyChange[] = res.events.map((e) => ({
        type: e.type === 'Delete' ? 'delete' : 'put',
        key: e.kv.key.toString(),
        value: e.kv.value.toString(),
        modRevision: Number(e.kv.mod_revision),
      }));
      this.applyBatch(changes, Number(res.header.revision));
    });
    // A compacted start revision means events we never saw are gone: rebuild from a snapshot.
    this.watcher.on('error', (err) => {
      this.options.onError?.(err);
      void this.reloadOnce();
    });
    // From a snapshot: ready once the watch has replayed what came after it.
    if (head !== undefined) await this.atLeast(head, TREE_LOAD_TIMEOUT_MS);
    this.loadedFrom = head !== undefined ? 'snapshot' : 'keys';
    this.options.onStarted?.({ from: this.loadedFrom, nodes: this.engine.size, ms: Date.now() - started });
  }

  /** Loads the newest snapshot of the tree in force; the store revision to catch up to, or undefined if none fits. */
  private async loadSnapshot(): Promise<number | undefined> {
    const head = await this.store.head();
    if (!head.generation) return undefined;
    const newest = (await this.store.snapshots()).filter((m) => m.generation === head.generation && m.seq <= head.revision).at(-1);
    if (!newest) return undefined;
    this.engine = AccessEngine.fromUniverse(await this.store.snapshotUniverse(newest));
    this.generation = head.generation;
    this.advance(newest.seq);
    return head.revision;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watcher?.cancel();
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  /**
   * Waits until the view reflects at least `revision` (a consistency token), at most the
   * consistency timeout — or `timeoutMs`, for a wait known to be long (a whole tree loading).
   */
  async atLeast(revision: number, timeoutMs = this.options.consistencyTimeoutMs ?? 2000): Promise<void> {
    if (this.revision >= revision) return;
    const caughtUp = new Promise<void>((resolve) => this.waiters.push({ revision, resolve }));
    // The token may name a revision that touched no metadata: then nothing will arrive by watch.
    const probe = setTimeout(() => void this.catchUpIfIdle(revision), 50);
    try {
      await withDeadline(caughtUp, timeoutMs, () => new UnavailableError(`the metadata view did not reach revision ${revision} within ${timeoutMs} ms`));
    } finally {
      clearTimeout(probe);
    }
  }

  /** If no event was written after our revision, we are current up to the store's revision (and no further). */
  private async catchUpIfIdle(revision: number): Promise<void> {
    const seen = this.revision;
    const newer = await this.etcd.getAll().prefix(this.store.layout.events).minModRevision(seen + 1).limit(1).exec().catch(() => undefined);
    if (!newer || newer.kvs.length > 0 || this.revision !== seen) return;
    this.advance(Math.min(revision, Number(newer.header!.revision)));
  }

  private async reloadOnce(): Promise<void> {
    this.reloading ??= (async () => {
      try {
        await this.reload();
        this.retryDelayMs = 0;
      } catch (err) {
        this.options.onError?.(err as Error);
        // etcd is unreachable: a held tree flip would ask again at once, so pause first (doubling
        // to 5 s) rather than spin; changes arriving meanwhile are held as during any reload.
        this.retryDelayMs = Math.min(Math.max(this.retryDelayMs * 2, 100), 5000);
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs).unref());
      }
    })().finally(() => {
      this.reloading = undefined;
      if (this.stopped) return;
      // What the snapshot already holds is skipped by revision; the rest applies in order.
      for (const b of this.held.splice(0)) this.applyBatch(b.changes, b.headerRevision);
    });
    return this.reloading;
  }

  private async reload(): Promise<void> {
    const snap = await this.store.snapshot();
    this.engine = AccessEngine.fromUniverse(snap.universe);
    this.generation = snap.generation;
    this.advance(snap.revision);
  }

  private applyBatch(changes: KeyChange[], headerRevision: number): void {
    const L = this.store.layout;
    // While a snapshot loads, the current engine is about to be replaced: hold changes for the new one
    // (and do not advance, or a reader could be answered from the tree being replaced).
    if (this.reloading) {
      this.held.push({ changes, headerRevision });
      return;
    }
    const flip = changes.find((c) => c.key === L.current && c.modRevision > this.revision);
    if (flip) {
      // A boot/import replaced the whole tree: take a fresh snapshot.
      this.held.push({ changes, headerRevision });
      void this.reloadOnce();
      return;
    }
    const byRevision = new Map<number, KeyChange[]>();
    for (const c of changes) {
      if (c.modRevision <= this.revision) continue; // already in the snapshot
      const list = byRevision.get(c.modRevision) ?? [];
      list.push(c);
      byRevision.set(c.modRevision, list);
    }
    for (const [rev, batch] of [...byRevision.entries()].sort((a, b) => a[0] - b[0])) this.applyRevision(batch, rev);
    this.advance(Math.max(this.revision, headerRevision));
  }

  /** Applies one transaction's key changes: new nodes (parents first) with their annotations, then the rest. */
  private applyRevision(batch: KeyChange[], revision: number): void {
    const g = this.generation;
    if (!g) return;
    const L = this.store.layout;
    const newNodes = new Map<string, Annotation[]>();
    const annotationPuts: { path: string; a: Annotation }[] = [];
    const annotationDeletes: { path: string; tag: string; unique: bigint }[] = [];
    const nodeDeletes = new Set<string>();
    let relevant = 0;
    for (const c of batch) {
      const key = L.parse(g, c.key);
      if (!key) continue;
      relevant++;
      if (key.kind === 'node') {
        if (c.type === 'delete') nodeDeletes.add(key.path);
        else if (!this.engine.node(key.path)) newNodes.set(key.path, []);
      } else if (c.type === 'put') annotationPuts.push({ path: key.path, a: decodeAnnotation(c.value) });
      else annotationDeletes.push({ path: key.path, tag: key.tag, unique: key.unique });
    }
    for (const { path, a } of annotationPuts) newNodes.get(path)?.push(a);
    for (const path of [...newNodes.keys()].sort(byDepthThenPath)) this.engine.createNode(path, newNodes.get(path)!);
    for (const { path, a } of annotationPuts) if (!newNodes.has(path)) this.engine.putAnnotation(path, a);
    for (const d of annotationDeletes) if (!nodeDeletes.has(d.path)) this.engine.deleteAnnotation(d.path, d.tag, d.unique);
    for (const path of [...nodeDeletes].sort(byDepthThenPath)) if (this.engine.node(path)) this.engine.deleteNode(path);
    this.advance(revision);
    if (relevant > 0) this.options.onApplied?.(revision);
  }

  private advance(revision: number): void {
    if (revision <= this.revision) return;
    this.revision = revision;
    const ready = this.waiters.filter((w) => w.revision <= revision);
    this.waiters = this.waiters.filter((w) => w.revision > revision);
    for (const w of ready) w.resolve();
  }
}
