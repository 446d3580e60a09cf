/** At most this many keys are named in a summary (the count is always exact). */
const SUMMARY_KEYS = 10;

export interface IgnoredRecordsSummary {
  count: number;
  /** The first few keys, sorted. */
  keys: string[];
}

/**
 * The etcd records a view refuses to trust (they do not authenticate, or cannot be read), as they
 * stand now: a record is listed from the moment it is seen until it is deleted or replaced by one
 * that authenticates. Each newly ignored record is reported once (the service logs it); the
 * current set feeds a metric and the readiness detail, so a planted record is visible, not silent.
 */
export class IgnoredRecords {
  private readonly reasons = new Map<string, string>();

  constructor(private readonly report: (key: string, reason: string) => void = () => undefined) {}

  ignore(key: string, reason: string): void {
    if (this.reasons.get(key) !== reason) this.report(key, reason);
    this.reasons.set(key, reason);
  }

  /** The record at `key` is gone or trusted now. */
  clear(key: string): void {
    this.reasons.delete(key);
  }

  /** Forgets every record under `prefix` (before a full reload lists them again). */
  clearPrefix(prefix: string): void {
    for (const key of this.reasons.keys()) if (key.startsWith(prefix)) this.reasons.delete(key);
  }

  get size(): number {
    return this.reasons.size;
  }

  summary(): IgnoredRecordsSummary {
    return { count: this.reasons.size, keys: [...this.reasons.keys()].sort().slice(0, SUMMARY_KEYS) };
  }
}
