import { Range, type Etcd3 } from 'etcd3';
import type { MetaEvent, MetaEventKind, StoredEvent } from './events';
import { MetaLayout } from './layout';
import { scanRange } from '../range-scan';

/** One entry of the log or of an index: where it stands, its sequence number, what kind of change. */
export interface LogEntry {
  order: string;
  seq: number;
  kind: MetaEventKind;
}

/** Which entries: those with a sequence number in (after, upTo]. */
export interface SeqRange {
  after?: number;
  upTo?: number;
}

type Guard = <T>(p: Promise<T>) => Promise<T>;

/** Keys per page of an index (small values), and events per page of the log (an event can be large). */
const INDEX_PAGE = 2000;
const LOG_PAGE = 250;
/** Events fetched by key in one round. */
const FETCH_BATCH = 64;

/**
 * Reads the event log and its indexes from any point, in commit order, without reading what came
 * before: an event's order key is at least the revision of the event before it (MetaLayout), so
 * every entry with a sequence number above S has an order key of at least S+1 — except possibly the
 * first such entry, which is then the last one below that key. Each read costs what it returns.
 */
export class MetaLog {
  constructor(
    private readonly etcd: Etcd3,
    private readonly layout: MetaLayout,
    private readonly guard: Guard,
  ) {}

  /** Events of the log with seq in `range`, oldest first, page by page. */
  async *events(range: SeqRange = {}): AsyncGenerator<MetaEvent> {
    for await (const { kv, seq } of this.scan(this.layout.events, range, LOG_PAGE)) yield toEvent(kv.key.slice(this.layout.events.length), kv.value, seq);
  }

  /** Entries of an index (a prefix of MetaLayout's history domain) with seq in `range`, oldest first. */
  async *entries(prefix: string, range: SeqRange = {}): AsyncGenerator<LogEntry> {
    for await (const { kv, seq } of this.scan(prefix, range, INDEX_PAGE)) {
      yield { order: kv.key.slice(prefix.length), seq, kind: kv.value as MetaEventKind };
    }
  }

  /** The last entry of an index (or of the log) with seq at most `seq`. */
  async lastUpTo(prefix: string, seq: number): Promise<LogEntry | undefined> {
    const below = await this.before(prefix, `${prefix}${MetaLayout.orderFloor(seq + 1)}`, 2);
    // Of the two entries below the floor, the later may be past `seq` (the one exception above).
    const hit = below.find((e) => e.seq <= seq);
    return hit && { order: hit.key.slice(prefix.length), seq: hit.seq, kind: kindOf(prefix === this.layout.events, hit.value) };
  }

  /** The events at these order keys, in the order given (a missing one is left out). */
  async eventsAt(orders: readonly string[]): Promise<MetaEvent[]> {
    const out: MetaEvent[] = [];
    for (let i = 0; i < orders.length; i += FETCH_BATCH) {
      const batch = orders.slice(i, i + FETCH_BATCH);
      const found = await Promise.all(batch.map((o) => this.guard(this.etcd.get(this.layout.event(o)).exec())));
      found.forEach((res, j) => {
        const kv = res.kvs[0];
        if (kv) out.push(toEvent(batch[j], kv.value.toString(), Number(kv.mod_revision)));
      });
    }
    return out;
  }

  /** Every key under `prefix` holding an entry with seq in `range`, in key (= commit) order. */
  private async *scan(prefix: string, range: SeqRange, pageSize: number): AsyncGenerator<{ kv: { key: string; value: string }; seq: number }> {
    const after = range.after ?? 0;
    const upTo = range.upTo ?? Infinity;
    const floor = `${prefix}${MetaLayout.orderFloor(after + 1)}`;
    // The one entry below the floor that may still be past `after`.
    const [edge] = after > 0 ? await this.before(prefix, floor, 1) : [];
    if (edge && edge.seq > after) {
      if (edge.seq > upTo) return;
      yield { kv: edge, seq: edge.seq };
    }
    for await (const kv of scanRange(this.etcd, after > 0 ? floor : prefix, Range.prefix(prefix).end, { pageSize, guard: this.guard })) {
      if (kv.modRevision <= after) continue;
      if (kv.modRevision > upTo) return;
      yield { kv, seq: kv.modRevision };
    }
  }

  /** Up to `n` entries just below key `below`, latest first. */
  private async before(prefix: string, below: string, n: number): Promise<{ key: string; value: string; seq: number }[]> {
    const res = await this.guard(this.etcd.getAll().inRange(new Range(prefix, below)).sort('Key', 'Descend').limit(n).exec());
    return res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString(), seq: Number(kv.mod_revision) }));
  }
}

function kindOf(isEvent: boolean, value: string): MetaEventKind {
  return isEvent ? (JSON.parse(value) as StoredEvent).kind : (value as MetaEventKind);
}

function toEvent(order: string, value: string, seq: number): MetaEvent {
  return { ...(JSON.parse(value) as StoredEvent), seq, order };
}
