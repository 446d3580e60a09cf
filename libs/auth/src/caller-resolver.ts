import { CachingCredentialVerifier, InvalidCredentialError, type AcceptedKind, type CredentialClaims, type VerificationKeyLookup } from '@am/crypto';
import { unwrap, type AccessEngine } from '@am/engine';
import { UnauthenticatedError } from '@am/model';
import { CertificateCredentialVerifier, isCertificateCredential, rejectionMessage, type CertificateVerifier } from './certificate-credential';

export interface CallerSettings {
  /** access-model §8.2: accept a bare principal path as the credential (demos only). */
  allowDemoIdentities: boolean;
  /**
   * Accept `x509:<base64 DER>` certificate credentials, verified with this (a live `PkiView`):
   * chain to the PKI or a trusted external CA (or a pinned certificate), EKU clientAuth, validity,
   * not revoked, mapped to a principal. Without it certificate credentials authenticate nobody.
   */
  certificates?: CertificateVerifier;
  /** Who may attest certificate credentials (the gateway's TLS principal, GATEWAY_TLS_PRINCIPAL in @am/bus). */
  certificateAttestor?: string;
}

export interface ResolvedCaller {
  principal: string;
  /** How the caller proved itself. */
  via: 'credential' | 'certificate' | 'demo-identity';
  claims?: CredentialClaims;
  /** For a client certificate: its SHA-256 fingerprint, serial and the anchor it chained to. */
  certificate?: { fingerprint: string; serial: string; anchor: string };
}

/** A JWT naming a signing key this service does not know (yet, perhaps: see `resolveLatest`). */
export class UnknownSigningKeyError extends UnauthenticatedError {
  constructor(
    message: string,
    /** The key (its expiry) the token named. */
    readonly namedKey: number,
  ) {
    super(message);
  }
}

/** Three base64url segments: anything else is not a JWT and is tried as a principal path. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function looksLikeJwt(credential: string): boolean {
  return JWT_SHAPE.test(credential.trim());
}

/**
 * Turns the credential a request carries into the principal it stands for (access-model §8.1–8.3):
 * a JWT is verified against the published signing keys (cached until it expires), a principal path
 * goes through the demonstration-identity rule. Either way the principal must still exist in the
 * tree the service decides on. Every failure is an UnauthenticatedError with the spec's text.
 */
export class CallerResolver {
  private readonly cache: CachingCredentialVerifier;
  private readonly certificates?: CertificateCredentialVerifier;

  constructor(
    private readonly engine: () => AccessEngine,
    private readonly keys: VerificationKeyLookup & { catchUp?(expiry: number): Promise<boolean> },
    private readonly settings: CallerSettings,
    cacheEntries?: number,
  ) {
    this.cache = new CachingCredentialVerifier({ maxEntries: cacheEntries });
    if (settings.certificates && settings.certificateAttestor) {
      this.certificates = new CertificateCredentialVerifier(settings.certificates, settings.certificateAttestor, cacheEntries);
    }
  }

  /** `nowMs` in Unix ms; `accept` is 'login' for callers (a delegation credential is not a login). */
  resolve(credential: string, nowMs: number, accept: AcceptedKind = 'login'): ResolvedCaller {
    if (typeof credential !== 'string' || credential.trim() === '') throw new UnauthenticatedError('missing credential');
    if (isCertificateCredential(credential)) return this.resolveCertificate(credential, nowMs, accept);
    if (!looksLikeJwt(credential)) {
      const principal = unwrap(this.engine().authenticateDemoIdentity(credential, this.settings, nowMs));
      return { principal, via: 'demo-identity' };
    }
    let claims: CredentialClaims;
    try {
      claims = this.cache.verify(credential.trim(), { keys: this.keys, now: Math.floor(nowMs / 1000), accept }).claims;
    } catch (err) {
      if (err instanceof InvalidCredentialError && err.reason === 'key-not-found' && err.namedKey !== undefined) throw new UnknownSigningKeyError(err.message, err.namedKey);
      if (err instanceof InvalidCredentialError) throw new UnauthenticatedError(err.message);
      throw err;
    }
    // §8.3 step 8: a credential for a principal that has since been removed authenticates nobody.
    if (!this.engine().has(claims.id)) throw new UnauthenticatedError(`${claims.id} not found`);
    // A directory of principals is never a caller (TreeNode.canCall), whoever signed for it.
    if (!this.engine().isCaller(claims.id)) throw new UnauthenticatedError('invalid credential');
    return { principal: claims.id, via: 'credential', claims };
  }

  /**
   * `resolve`, except that a JWT naming a key newer than every key known here has the keys read
   * again first (the key set's `catchUp`): identity signs with a new key the moment it creates it,
   * and this service's etcd watch may not have delivered it yet.
   */
  async resolveLatest(credential: string, nowMs: number, accept: AcceptedKind = 'login'): Promise<ResolvedCaller> {
    try {
      return this.resolve(credential, nowMs, accept);
    } catch (err) {
      if (!(err instanceof UnknownSigningKeyError) || !this.keys.catchUp || !(await this.keys.catchUp(err.namedKey))) throw err;
      return this.resolve(credential, nowMs, accept);
    }
  }

  /** A client certificate is a login: verified live (revocations included) and mapped to a principal that must exist. */
  private resolveCertificate(credential: string, nowMs: number, accept: AcceptedKind): ResolvedCaller {
    if (!this.certificates) throw new UnauthenticatedError('client certificates are not accepted by this service');
    if (accept === 'delegation') throw new UnauthenticatedError('a client certificate is not a delegation credential');
    const v = this.certificates.verify(credential, nowMs);
    if (!v.ok) throw new UnauthenticatedError(rejectionMessage(v));
    // The §8.3 step 8 analogue: a certificate for a principal not (or no longer) in the tree authenticates nobody.
    if (!this.engine().has(v.principal)) throw new UnauthenticatedError(`${v.principal} not found`);
    if (!this.engine().isCaller(v.principal)) throw new UnauthenticatedError('invalid credential');
    return { principal: v.principal, via: 'certificate', certificate: { fingerprint: v.certificate.fingerprint256, serial: v.certificate.serialHex, anchor: v.anchor } };
  }
}
