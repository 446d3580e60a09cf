import { InvalidCredentialError } from '@am/crypto';
import { withDeadline } from '@am/store';

/** Least time between two catch-up reads: tokens naming made-up keys cost etcd at most one small read a second. */
const MIN_READ_INTERVAL_MS = 1000;
/** How long a caller waits for a catch-up read: a stalled etcd must not hold a request (or the next read) forever. */
const READ_DEADLINE_MS = 2000;

interface KnownKeys {
  get(expiry: number): unknown;
  all(): readonly { expiry: number }[];
}

/**
 * True when `expiry` may name a signing key created since these keys were last heard of: it has
 * not expired and is newer than every known key (a new key always expires later than the others).
 */
export function mayBeNewerKey(expiry: number | undefined, known: readonly { expiry: number }[], nowMs: number): boolean {
  if (expiry === undefined || expiry <= nowMs / 1000) return false;
  return known.every((k) => k.expiry < expiry);
}

/**
 * Closes the moment between identity creating a signing key (and signing with it at once, as
 * access-model §8.7 has it) and a verifier's etcd watch delivering that key: a credential naming a
 * possibly newer key has the key set read again before it is refused. Concurrent callers share one
 * read, and reads are at most one a second, so made-up key ids cannot load etcd.
 */
export class KeyCatchUp {
  private reading?: Promise<void>;
  private lastReadMs = -Infinity;

  constructor(
    private readonly keys: KnownKeys,
    private readonly read: () => Promise<unknown>,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Whether the key named by `expiry` is known, after one fresh read if it may be newer than all known keys. */
  async catchUp(expiry: number): Promise<boolean> {
    if (this.keys.get(expiry) !== undefined) return true;
    if (!mayBeNewerKey(expiry, this.keys.all(), this.clock())) return false;
    if (!this.reading) {
      if (this.clock() - this.lastReadMs < MIN_READ_INTERVAL_MS) return false;
      this.lastReadMs = this.clock();
      // A failed or stalled read leaves the keys as they were; the credential is then refused as before.
      this.reading = withDeadline(this.read(), READ_DEADLINE_MS, () => new Error('signing key read timed out')).then(
        () => undefined,
        () => undefined,
      );
      void this.reading.finally(() => (this.reading = undefined));
    }
    await this.reading;
    return this.keys.get(expiry) !== undefined;
  }
}

/**
 * Runs `verify`; when it fails only because the token names a key that may be newer than every
 * key known here, has `keys` catch up once and runs it again.
 */
export async function verifyWithCatchUp<T>(keys: { catchUp(expiry: number): Promise<boolean> }, verify: () => T): Promise<T> {
  try {
    return verify();
  } catch (err) {
    if (!(err instanceof InvalidCredentialError) || err.reason !== 'key-not-found' || err.namedKey === undefined) throw err;
    if (!(await keys.catchUp(err.namedKey))) throw err;
    return verify();
  }
}
