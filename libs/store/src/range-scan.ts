import { Range, type Etcd3 } from 'etcd3';

export interface ScannedKey {
  key: string;
  value: string;
  modRevision: number;
}

export interface ScanOptions {
  pageSize: number;
  /** Read every page at this revision; `first`: at the first page's (one consistent read). Default: each page as of now. */
  revision?: number | 'first';
  /** Told the store revision each page was read at (also for an empty range). */
  onPage?: (revision: number) => void;
  /** Wraps each etcd call (deadlines, error mapping). */
  guard?: <T>(p: Promise<T>) => Promise<T>;
}

/**
 * Every key from `start` (inclusive) to `end` (exclusive), in key order, page by page: a large
 * range exceeds what one response may carry, and a consumer that stops early reads no further.
 */
export async function* scanRange(etcd: Etcd3, start: string, end: Buffer, options: ScanOptions): AsyncGenerator<ScannedKey> {
  const guard = options.guard ?? (<T>(p: Promise<T>) => p);
  let from = Buffer.from(start);
  let pinned = typeof options.revision === 'number' ? options.revision : undefined;
  for (;;) {
    let query = etcd.getAll().inRange(new Range(from, end)).limit(options.pageSize);
    if (pinned !== undefined) query = query.revision(pinned);
    const page = await guard(query.exec());
    const revision = pinned ?? Number(page.header!.revision);
    if (options.revision === 'first') pinned = revision;
    options.onPage?.(revision);
    for (const kv of page.kvs) yield { key: kv.key.toString(), value: kv.value.toString(), modRevision: Number(kv.mod_revision) };
    if (!page.more || page.kvs.length === 0) return;
    from = Buffer.concat([page.kvs[page.kvs.length - 1].key, Buffer.from([0])]);
  }
}

/** `scanRange` over every key under `prefix`. */
export function scanPrefix(etcd: Etcd3, prefix: string, options: ScanOptions): AsyncGenerator<ScannedKey> {
  return scanRange(etcd, prefix, Range.prefix(prefix).end, options);
}
