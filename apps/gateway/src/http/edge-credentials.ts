import { looksLikeJwt, mayBeNewerKey } from '@am/auth';
import { CachingCredentialVerifier, InvalidCredentialError, type VerificationKey, type VerificationKeyLookup } from '@am/crypto';
import { UnauthenticatedError } from '@am/model';

/**
 * The gateway's own check of a caller's JWT (design: the gateway authenticates the caller). A
 * forged, tampered, expired or misused token (a delegation credential is no login) is refused here
 * with 401, without a round trip to a service; a good one is verified once and then answered from a
 * bounded cache until it expires, so this costs about a microsecond per request.
 *
 * This only refuses early: the service that answers still verifies the credential itself (nobody is
 * trusted by network position). So whatever this gateway cannot judge goes on to the service: a
 * token naming a key newer than any this gateway has seen (its view of the keys may lag a rotation
 * by a moment; a newer key always expires later), demonstration identities and certificate
 * credentials. A token naming an older or unknown past key is refused here.
 */
export class EdgeCredentialCheck {
  private readonly cache: CachingCredentialVerifier;

  constructor(
    private readonly keys: VerificationKeyLookup & { all(): readonly VerificationKey[] },
    private readonly clock: () => number = Date.now,
    cacheEntries?: number,
  ) {
    this.cache = new CachingCredentialVerifier({ maxEntries: cacheEntries });
  }

  /** Throws UnauthenticatedError (the verifier's reason as its message) for a JWT that cannot authenticate anyone. */
  check(credential: string): void {
    if (!looksLikeJwt(credential)) return;
    try {
      this.cache.verify(credential, { keys: this.keys, now: Math.floor(this.clock() / 1000), accept: 'login' });
    } catch (err) {
      if (!(err instanceof InvalidCredentialError)) throw err;
      if (err.reason === 'key-not-found' && mayBeNewerKey(err.namedKey, this.keys.all(), this.clock())) return;
      throw new UnauthenticatedError(err.message);
    }
  }
}
