import { createHash } from 'node:crypto';
import { ISSUED_AT_SKEW_SEC } from './claims';
import { MAX_CREDENTIAL_CHARS } from './token-syntax';
import { VerifiedCredential, VerifyCredentialOptions, checkKind, verifyCredential } from './verify';

export const DEFAULT_VERIFICATION_CACHE_ENTRIES = 10_000;

export interface VerificationCacheOptions {
  maxEntries?: number;
}

/**
 * Verifies credentials and remembers the verified ones, so a gateway does not pay an ECDSA
 * verification on every request. Entries are keyed by the SHA-256 of the token (the cache
 * holds no bearer tokens), bounded in number (least recently used goes first) and never
 * outlive their credential: a hit re-checks the times against `now` and that the signing key is
 * still published and unexpired, so removing a key revokes its cached credentials at once.
 * Refused tokens are not cached (every attempt pays, and hostile input cannot fill the cache).
 */
export class CachingCredentialVerifier {
  private readonly entries = new Map<string, VerifiedCredential>();
  private readonly maxEntries: number;
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
    const id = createHash('sha256').update(token.trim()).digest('base64');
    const hit = this.entries.get(id);
    if (hit) {
      this.entries.delete(id);
      if (isStillValid(hit, options)) {
        this.entries.set(id, hit); // most recently used now
        this.hits++;
        checkKind(hit.kind, options.accept);
        return hit;
      }
    }
    this.misses++;
    const verified = freeze(verifyCredential(token, options));
    this.entries.set(id, verified);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return verified;
  }

  /** Drops every entry whose credential has expired by `now`; returns how many went. */
  prune(now: number): number {
    let dropped = 0;
    for (const [id, entry] of this.entries) {
      if (entry.claims.exp <= now) {
        this.entries.delete(id);
        dropped++;
      }
    }
    return dropped;
  }

  clear(): void {
    this.entries.clear();
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
