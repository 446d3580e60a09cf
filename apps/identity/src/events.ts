import { IDENTITY_EVENTS_SUBJECT, type IdentityEvent } from '@am/bus';
import type { KeyLayout } from '@am/store';
import type { Etcd3 } from 'etcd3';
import { randomBytes } from 'node:crypto';

export type { IdentityEvent };

/** Random per process: with the counter below, a key suffix no other replica (or restart) produces. */
const PROCESS_TAG = randomBytes(6).toString('hex');
let sequence = 0;

/**
 * The etcd record of identity events committed together, under `<prefix>identity/events/`: one key
 * whose value is the JSON array of the events (a batch of credential issues, or the events of one
 * key-set change). One key per batch, not per event: etcd's cost and the client's (encoding, lease
 * attachment, one response per operation) grow with the keys written, and under load a batch holds
 * dozens of issues. The key sorts by time (zero-padded milliseconds) with a suffix unique to this
 * process (random tag + counter, rather than fresh random bytes per key, which cost a few µs each on
 * the issuing path) so concurrent replicas never collide.
 */
export function eventRecord(eventsPrefix: string, events: readonly IdentityEvent[], nowMs: number): { key: string; value: string } {
  return { key: `${eventsPrefix}${String(nowMs).padStart(15, '0')}-${PROCESS_TAG}${(sequence++).toString(36)}`, value: JSON.stringify(events) };
}

export function eventSubject(event: IdentityEvent): string {
  return `${IDENTITY_EVENTS_SUBJECT}.${event.kind}`;
}

/** One lease per this many seconds of records: each record expires between retention and retention + this. */
const LEASE_BUCKET_SEC = 3600;
/**
 * ...and per this many records (keys) at most. etcd before 3.4.26 / 3.5.10 (etcd-io/etcd#15993), and any
 * etcd with auth on for a non-root user, checks every key already on the lease when a put attaches
 * one more, so an hour of keys on one lease made each commit slower than the last (+1.6 ms per
 * put at 40,000 keys, measured on 3.4.23).
 */
export const MAX_KEYS_PER_LEASE = 1000;
/** Events per record (one key, one transaction): bounds a record's size well under etcd's request limit. */
const MAX_BATCH = 100;
/** Transactions in flight at once: the next batch is written while one commits, and more gather. */
const MAX_WRITES = 2;

/** A lease and how much of it is taken. */
interface LeaseBucket {
  id: Promise<string>;
  grantedAt: number;
  keys: number;
}

interface Pending {
  event: IdentityEvent;
  done: (err?: Error) => void;
}

/**
 * Credential-issued events (the audit trail of who got a credential, how and on whose word —
 * never the token). Each is committed to etcd before its credential is handed out. Issues share
 * records (group commit): what arrives within one turn of the event loop goes into one record, one
 * key written in one transaction, with up to MAX_WRITES of them committing at once while the next
 * ones gather, so under load the cost of an etcd commit is paid once per batch, not once per
 * credential. Records expire after the retention period through a shared lease (one per hour or
 * per MAX_KEYS_PER_LEASE records), so the log does not grow without bound.
 */
export class CredentialEventLog {
  private lease?: LeaseBucket;
  private readonly prefix: string;
  private queue: Pending[] = [];
  private writing = 0;
  private scheduled = false;

  constructor(
    private readonly etcd: Etcd3,
    layout: KeyLayout,
    private readonly retentionSec: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.prefix = `${layout.domain('identity')}events/`;
  }

  /** Resolves once the event is committed. */
  record(event: IdentityEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ event, done: (err) => (err ? reject(err) : resolve()) });
      // setImmediate, not a timer: the batch closes as soon as this turn's I/O callbacks are done.
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length && this.writing < MAX_WRITES) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.writing++;
      void this.write(batch.map((p) => p.event))
        .then(
          () => batch.forEach((p) => p.done()),
          (err: Error) => batch.forEach((p) => p.done(err)),
        )
        .finally(() => {
          this.writing--;
          this.flush();
        });
    }
  }

  private async write(events: IdentityEvent[]): Promise<void> {
    const current = this.currentLease();
    let lease: string;
    try {
      lease = await current.id;
    } catch (err) {
      if (this.lease === current) this.lease = undefined; // grant again next time
      throw err;
    }
    const { key, value } = eventRecord(this.prefix, events, this.clock());
    // A transaction even for one put: etcd 3.4's plain put walks the lease's keys (see
    // MAX_KEYS_PER_LEASE); inside a transaction it does not. Its comparison (a version is never
    // negative) always holds.
    await this.etcd.if(this.prefix, 'Version', '>', -1).then(this.etcd.put(key).value(value).lease(lease)).commit();
  }

  /** The lease for the next record. */
  private currentLease(): LeaseBucket {
    const now = this.clock();
    if (!this.lease || now - this.lease.grantedAt >= LEASE_BUCKET_SEC * 1000 || this.lease.keys >= MAX_KEYS_PER_LEASE) {
      const lease = this.etcd.lease(this.retentionSec + LEASE_BUCKET_SEC, { autoKeepAlive: false });
      this.lease = { id: lease.grant(), grantedAt: now, keys: 0 };
    }
    this.lease.keys++;
    return this.lease;
  }
}
