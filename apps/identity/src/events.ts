import { IDENTITY_EVENTS_SUBJECT, type IdentityEvent } from '@am/bus';
import { UnavailableError } from '@am/model';
import { withDeadline, type KeyLayout } from '@am/store';
import type { Etcd3 } from 'etcd3';
import { AuditBacklog, type BacklogBatch } from './audit-backlog';
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

export function eventSubject(kind: IdentityEvent['kind']): string {
  return `${IDENTITY_EVENTS_SUBJECT}.${kind}`;
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
/** Events per record (one key, one transaction): ~250 bytes each, ~100 KB, well under etcd's request limit. */
export const MAX_BATCH = 400;
/** Transactions in flight at once. */
const MAX_WRITES = 2;
/** Pauses before writing a failed record again, the last one repeating while etcd stays away. */
const RETRY_MS = [100, 250, 500, 1000, 2000];

export interface CredentialEventLogOptions {
  /** How long issues gather before they are written (one record per window, or per MAX_BATCH issues). */
  gatherMs?: number;
  /** Issuing stops while an unrecorded event is older than this (etcd is away or too slow)... */
  maxLagMs?: number;
  /** ...or while this many events wait to be recorded. */
  maxUnrecorded?: number;
  /** A write etcd has not answered in this long counts as failed (and is written again). */
  writeTimeoutMs?: number;
  /** Told when a record could not be written (it is kept and written again). */
  onWriteError?: (err: Error, unrecorded: number) => void;
  /** Told the events of each record once it is committed (identity announces them on NATS). */
  onCommitted?: (events: IdentityEvent[]) => void;
}

/** A lease and how much of it is taken. */
interface LeaseBucket {
  id: Promise<string>;
  grantedAt: number;
  keys: number;
}

/**
 * Credential-issued events: the audit trail of who got a credential, how and on whose word (never
 * the token), written to etcd *behind* the answer. Issues that gather within `gatherMs` share one
 * record (one key, one transaction), so etcd's cost — and gRPC's on this service's one thread —
 * is paid per few hundred issues, and no answer waits for a disk sync. The price is bounded by
 * what the log lets wait: an issue is admitted (`admit`, before signing) and recorded (`record`,
 * before the credential is handed out) only while no event has waited longer than `maxLagMs` and
 * fewer than `maxUnrecorded` wait, so issuing stops (fail closed) when etcd is away or too slow.
 * A record that fails or times out is kept and written again (a timed-out one may then be stored
 * twice; `jti` identifies an issue). A graceful stop writes what etcd takes within a deadline
 * (`close`); only a crash loses what was waiting: normally the last `gatherMs`, at worst the
 * backlog the limits allow. Records expire after the retention period through a shared lease (one
 * per hour or per MAX_KEYS_PER_LEASE records), so the log does not grow without bound. Each record
 * is announced once committed (`onCommitted`): one NATS message per record rather than per issue,
 * which at thousands of issues a second cost identity and NATS about a tenth of a vouch.
 */
export class CredentialEventLog {
  private lease?: LeaseBucket;
  private readonly prefix: string;
  private readonly gatherMs: number;
  private readonly maxLagMs: number;
  private readonly maxUnrecorded: number;
  private readonly writeTimeoutMs: number;
  private readonly onWriteError: (err: Error, unrecorded: number) => void;
  private readonly onCommitted: (events: IdentityEvent[]) => void;
  private readonly backlog = new AuditBacklog<IdentityEvent>();
  private readonly writing = new Set<BacklogBatch<IdentityEvent>>();
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private idle: (() => void)[] = [];
  private closed = false;
  /** Closed and given up: nothing is written or scheduled any more (the etcd client is about to close). */
  private stopped = false;

  constructor(
    private readonly etcd: Etcd3,
    layout: KeyLayout,
    private readonly retentionSec: number,
    options: CredentialEventLogOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.prefix = `${layout.domain('identity')}events/`;
    this.gatherMs = options.gatherMs ?? 10;
    this.maxLagMs = options.maxLagMs ?? 5000;
    this.maxUnrecorded = options.maxUnrecorded ?? 20_000;
    this.writeTimeoutMs = options.writeTimeoutMs ?? 2000;
    this.onWriteError = options.onWriteError ?? (() => undefined);
    this.onCommitted = options.onCommitted ?? (() => undefined);
  }

  /** Events handed to the log and not yet committed. */
  get unrecorded(): number {
    let n = this.backlog.size;
    for (const b of this.writing) n += b.items.length;
    return n;
  }

  /** Throws UnavailableError when an issue now might not be recorded in time (see the class). */
  admit(): void {
    if (this.closed) throw new UnavailableError('identity is stopping');
    const unrecorded = this.unrecorded;
    if (unrecorded === 0) return;
    // Monotonic time: a wall clock stepped back would hide the lag.
    if (unrecorded >= this.maxUnrecorded || performance.now() - this.oldestWaiting() > this.maxLagMs) {
      throw new UnavailableError('credentials cannot be issued now: their audit records are not reaching etcd');
    }
  }

  /**
   * Hands an event to the log; it is committed within about `gatherMs` (see `flushed`). Checks
   * `admit` again, since other issues may have filled the log meanwhile: when it throws, the
   * credential must not be handed out.
   */
  record(event: IdentityEvent): void {
    this.admit();
    this.backlog.add(event, performance.now());
    this.schedule();
  }

  /** Resolves once every event handed over so far is committed (while etcd is away: once it is back). */
  flushed(): Promise<void> {
    if (this.unrecorded === 0) return Promise.resolve();
    if (!this.failures) this.flush();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Refuses new issues and writes what is left, waiting at most `timeoutMs`; resolves to the events left unrecorded. */
  async close(timeoutMs = 5000): Promise<number> {
    this.closed = true;
    await withDeadline(this.flushed(), timeoutMs, () => new Error('close: etcd too slow')).catch(() => undefined);
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.unrecorded;
  }

  /** When the event that has waited longest was handed over (performance.now()). */
  private oldestWaiting(): number {
    let oldest = this.backlog.oldest() ?? Infinity;
    for (const b of this.writing) oldest = Math.min(oldest, b.times[0]);
    return oldest;
  }

  /**
   * When the backlog is written: at once when a record is full (or the log is closing), else when
   * the gathering window ends. After a failure, the retry timer does it.
   */
  private schedule(): void {
    if (this.stopped || this.failures > 0 || this.backlog.size === 0) return;
    if (this.backlog.size >= MAX_BATCH || this.closed) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.gatherMs);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (!this.stopped && this.backlog.size && this.writing.size < MAX_WRITES) {
      const batch = this.backlog.take(MAX_BATCH);
      this.writing.add(batch);
      void withDeadline(this.write(batch.items), this.writeTimeoutMs, () => new Error(`etcd did not answer within ${this.writeTimeoutMs} ms`)).then(
        () => this.written(batch),
        (err: Error) => this.failed(batch, err),
      );
    }
  }

  private written(batch: BacklogBatch<IdentityEvent>): void {
    this.writing.delete(batch);
    this.failures = 0;
    this.onCommitted(batch.items);
    if (this.stopped) return;
    this.schedule();
    if (this.unrecorded === 0) this.idle.splice(0).forEach((resolve) => resolve());
  }

  /** Keeps the batch (in time order) and writes again after a pause. */
  private failed(batch: BacklogBatch<IdentityEvent>, err: Error): void {
    this.writing.delete(batch);
    this.backlog.putBack(batch);
    this.failures++;
    if (this.stopped) return;
    this.onWriteError(err, this.unrecorded);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), RETRY_MS[Math.min(this.failures, RETRY_MS.length) - 1]);
  }

  private async write(events: IdentityEvent[]): Promise<void> {
    const current = this.currentLease();
    try {
      const lease = await current.id;
      const { key, value } = eventRecord(this.prefix, events, this.clock());
      // A transaction even for one put: etcd 3.4's plain put walks the lease's keys (see
      // MAX_KEYS_PER_LEASE); inside a transaction it does not. Its comparison (a version is never
      // negative) always holds.
      await this.etcd.if(this.prefix, 'Version', '>', -1).then(this.etcd.put(key).value(value).lease(lease)).commit();
    } catch (err) {
      // Whatever failed — the grant, or a put on a lease etcd no longer has (revoked, or a store
      // restored from a snapshot) — the next record starts from a fresh lease.
      if (this.lease === current) this.lease = undefined;
      throw err;
    }
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
