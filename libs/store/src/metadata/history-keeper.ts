import type { MetaProjection } from './projection';
import type { MetaStore, SnapshotManifest } from './meta-store';

export interface HistoryKeeperOptions {
  /** Take a snapshot once this many events followed the newest one. */
  snapshotEvery: number;
  /** Drop events older than this (ms), keeping the snapshot at the boundary; undefined keeps all. */
  retentionMs?: number;
  clock?: () => number;
}

export interface KeeperRound {
  snapshot?: SnapshotManifest;
  /** Events dropped by retention. */
  dropped?: number;
}

/**
 * Keeps the history cheap to read and bounded: periodic snapshots of the tree (time travel and a
 * service start replay only from the nearest one), and retention, which drops the events before the
 * newest snapshot older than the retention period and makes that snapshot the horizon.
 *
 * Every policy replica may run one; they do the same work on the same keys (a snapshot at an event
 * is the same tree whoever takes it), so a second one costs time, never correctness.
 */
export class HistoryKeeper {
  private readonly clock: () => number;
  private running?: Promise<KeeperRound>;

  constructor(
    private readonly projection: MetaProjection,
    private readonly store: MetaStore,
    private readonly options: HistoryKeeperOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** One round; a round already running is joined, not doubled. */
  tick(): Promise<KeeperRound> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<KeeperRound> {
    const out: KeeperRound = {};
    const snapshots = await this.store.snapshots();
    const newest = snapshots.at(-1);
    if ((await this.store.countEventsAfter(newest?.seq ?? 0)) >= this.options.snapshotEvery) {
      out.snapshot = await this.snapshot(newest);
      if (out.snapshot) snapshots.push(out.snapshot);
    }
    if (this.options.retentionMs !== undefined) {
      const cutoff = this.clock() - this.options.retentionMs;
      const boundary = snapshots.filter((s) => Date.parse(s.time) <= cutoff).at(-1);
      const horizon = await this.store.horizon();
      if (boundary && boundary.seq > (horizon?.seq ?? 0)) out.dropped = await this.store.dropHistoryBefore(boundary);
    }
    return out;
  }

  /** The projection's tree as a snapshot at the last event it reflects (none if that one has a snapshot). */
  private async snapshot(newest: SnapshotManifest | undefined): Promise<SnapshotManifest | undefined> {
    // Captured together, with no await in between: the tree at exactly this revision.
    const { revision, generation } = this.projection;
    const universe = this.projection.engine.toUniverse();
    const last = await this.store.log.lastUpTo(this.store.layout.events, revision);
    if (!last || last.seq <= (newest?.seq ?? 0)) return undefined;
    const [event] = await this.store.log.eventsAt([last.order]);
    if (!event) return undefined;
    return this.store.saveSnapshot(universe, { order: last.order, seq: last.seq, time: event.time }, generation);
  }
}
