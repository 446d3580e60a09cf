import { hash } from 'node:crypto';
import { ISSUED_AT_SKEW_SEC } from './claims';
import { MAX_CREDENTIAL_CHARS } from './token-syntax';
import { VerifiedCredential, VerifyCredentialOptions, checkKind, verifyCredential } from './verify';

export const DEFAULT_VERIFICATION_CACHE_ENTRIES = 10_000;

export interface VerificationCacheOptions {
  maxEntries?: number;
}

/** A cached verification, and when it last moved to the back of the eviction order. */
interface Entry {
  verified: VerifiedCredential;
  placedAt: number;
}

/**
 * Verifies credentials and remembers the verified ones, so a gateway does not pay an ECDSA
 * verification on every request. Entries are keyed by the SHA-256 of the token (the cache
 * holds no bearer tokens), bounded in number and never outlive their credential: a hit re-checks
 * the times against `now` and that the signing key is still published and unexpired, so removing
 * a key revokes its cached credentials at once. Refused tokens are not cached (every attempt pays,
 * and hostile input cannot fill the cache).
 *
 * Eviction is least-recently-used, approximately: the oldest entry goes first, and a hit moves its
 * entry to the back only once it is in the older half. Moving on every hit (delete + set) would
 * cost nothing visible but garbage: V8 rebuilds a Map's table as deletions pile up, and for a Map
 * that lives long it builds the new one in the old generation, so a busy cache fed major GCs.
 */
export class CachingCredentialVerifier {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  /** Placements so far (new entries and moves to the back): an entry's age is placements since its own. */
  private placements = 0;
  /** Counters for metrics: answers from the cache, and full verifications (successful or not). */
  hits = 0;
  misses = 0;

  constructor(options: VerificationCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_VERIFICATION_CACHE_ENTRIES;
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 1) throw new Error('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  verify(token: string, options: VerifyCredentialOptions): VerifiedCredential {
    // Oversized input is refused by verifyCredential without being hashed first.
    if (typeof token !== 'string' || token.length > MAX_CREDENTIAL_CHARS) return verifyCredential(token, options);
    // One-shot: no Hash object (each is a native handle the next scavenge has to process).
    const id = hash('sha256', token.trim(), 'base64');
    const hit = this.entries.get(id);
    if (hit) {
      if (isStillValid(hit.verified, options)) {
        if (this.placements - hit.placedAt >= this.maxEntries / 2) this.place(id, hit);
        this.hits++;
        checkKind(hit.verified.kind, options.accept);
        return hit.verified;
      }
      this.entries.delete(id);
    }
    this.misses++;
    const verified = freeze(verifyCredential(token, options));
    this.place(id, { verified, placedAt: 0 });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return verified;
  }

  /** Drops every entry whose credential has expired by `now`; returns how many went. */
  prune(now: number): number {
    let dropped = 0;
    for (const [id, entry] of this.entries) {
      if (entry.verified.claims.exp <= now) {
        this.entries.delete(id);
        dropped++;
      }
    }
    return dropped;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Puts the entry at the back of the eviction order. */
  private place(id: string, entry: Entry): void {
    this.entries.delete(id);
    entry.placedAt = ++this.placements;
    this.entries.set(id, entry);
  }
}

/** The checks of verifyCredential that depend on time or on the key set, i.e. that can change after caching. */
function isStillValid({ claims, key }: VerifiedCredential, { keys, now }: VerifyCredentialOptions): boolean {
  if (claims.exp <= now || claims.nbf > now || claims.iat > now + ISSUED_AT_SKEW_SEC || key.expiry < now) return false;
  const published = keys.get(key.expiry);
  // Same object normally; a key set rebuilt from the store holds equal but new KeyObjects.
  return published !== undefined && (published === key || published.publicKey.equals(key.publicKey));
}

/** Callers share cached results; freezing keeps one caller from altering what the next one sees. */
function freeze(verified: VerifiedCredential): VerifiedCredential {
  if (verified.claims.roles) Object.freeze(verified.claims.roles);
  Object.freeze(verified.claims.aud);
  Object.freeze(verified.claims);
  return Object.freeze(verified);
}
