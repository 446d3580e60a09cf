import type { ClientVerification, VerifyOptions } from '@am/crypto';
import { createHash, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Certificate credentials: a caller authenticated by an X.509 client certificate (mTLS at the
 * gateway) is forwarded to the backends as
 *
 *     x509:<b64 leaf DER>[,<b64 intermediate DER>…];<b64 attesting cert DER>;<unix ms>;<b64 signature>
 *
 * A certificate alone proves nothing (certificates are public): only the TLS handshake proves the
 * caller holds its key. So the party that saw the handshake (the gateway) attests it with its own
 * PKI-issued TLS key: it signs the certificate part and the time. Every service that resolves
 * callers verifies everything again against the live PKI trust state — the attesting certificate
 * (issued by our PKI to the attesting principal, serverAuth, not revoked), the signature, the
 * freshness, then the client certificate itself (chain, EKU clientAuth, validity, revocation,
 * principal mapping). Nothing is trusted because of who sent the request.
 */
export const X509_CREDENTIAL_PREFIX = 'x509:';
/** How old an attestation may be (and how far in the future, for clock skew). */
export const ATTESTATION_MAX_AGE_MS = 60_000;
const ATTESTATION_MAX_SKEW_MS = 5_000;
const ATTESTATION_CONTEXT = 'am-x509-credential-v1';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/** What verifies a presented certificate: `PkiView` from @am/pki-state (kept live by etcd watch). */
export interface CertificateVerifier {
  /** Changes whenever the trust state may have changed (the view's etcd revision). */
  readonly revision: number;
  verify(presented: Buffer, options?: Omit<VerifyOptions, 'revoked'>): ClientVerification;
}

/** Bounds: a leaf and at most this many intermediates. */
export const MAX_CREDENTIAL_INTERMEDIATES = 4;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function isCertificateCredential(credential: string): boolean {
  return credential.startsWith(X509_CREDENTIAL_PREFIX);
}

/** Who attests: the gateway's TLS certificate (DER) and its private key. */
export interface CredentialAttestor {
  certificateDer: Buffer;
  privateKey: KeyObject;
}

const attestationPayload = (certificates: string, time: string) =>
  Buffer.from(`${ATTESTATION_CONTEXT}\n${createHash('sha256').update(certificates).digest('hex')}\n${time}`);

/** The credential for a client certificate whose key the caller proved in a TLS handshake seen by `attestor`. */
export function certificateCredential(attestor: CredentialAttestor, leafDer: Buffer, intermediates: readonly Buffer[] = [], nowMs = Date.now()): string {
  const certificates = [leafDer, ...intermediates.slice(0, MAX_CREDENTIAL_INTERMEDIATES)].map((d) => d.toString('base64')).join(',');
  const time = String(nowMs);
  const signature = sign('sha256', attestationPayload(certificates, time), attestor.privateKey);
  return `${X509_CREDENTIAL_PREFIX}${certificates};${attestor.certificateDer.toString('base64')};${time};${signature.toString('base64')}`;
}

export interface ParsedCertificateCredential {
  /** The `x509:` part up to the first ';' (the certificates), the cache key of their verification. */
  certificates: string;
  leaf: Buffer;
  intermediates: Buffer[];
  attestor: Buffer;
  time: number;
  signature: Buffer;
}

const decode = (part: string): Buffer | undefined => (part.length > 0 && part.length % 4 === 0 && BASE64.test(part) ? Buffer.from(part, 'base64') : undefined);

/** The parts of an `x509:` credential, or a message saying why it is malformed. */
export function parseCertificateCredential(credential: string): ParsedCertificateCredential | { error: string } {
  if (!isCertificateCredential(credential)) return { error: 'not a certificate credential' };
  const fields = credential.slice(X509_CREDENTIAL_PREFIX.length).split(';');
  if (fields.length !== 4) return { error: 'a certificate credential is made by the gateway from a TLS client certificate; it cannot be sent as such' };
  const [certificates, attestorPart, timePart, signaturePart] = fields;
  const parts = certificates.split(',');
  if (parts.length > 1 + MAX_CREDENTIAL_INTERMEDIATES) return { error: `a certificate credential carries at most ${MAX_CREDENTIAL_INTERMEDIATES} intermediates` };
  const ders = parts.map(decode);
  const attestor = decode(attestorPart);
  const signature = decode(signaturePart);
  if (ders.some((d) => !d) || !attestor || !signature || !/^\d{1,15}$/.test(timePart)) return { error: 'a certificate credential must be x509:<base64 DER>…;<base64 DER>;<time>;<base64 signature>' };
  return { certificates, leaf: ders[0]!, intermediates: ders.slice(1) as Buffer[], attestor, time: Number(timePart), signature };
}

/** One line for a 401: the verifier's reason code and message. */
export function rejectionMessage(v: { reason: string; message: string }): string {
  return `client certificate rejected (${v.reason}): ${v.message}`;
}

interface CachedVerification {
  revision: number;
  /** Unix ms after which the result must be recomputed (the earliest notAfter of the chain). */
  validUntil: number;
  validFrom: number;
  result: ClientVerification;
}

/** Why an attestation is not accepted (reported like a certificate rejection). */
export type CertificateCredentialResult = ClientVerification | { ok: false; reason: 'attestation'; message: string };

/**
 * Verifies certificate credentials: the attestation (a certificate our PKI issued to
 * `attestingPrincipal` with EKU serverAuth, live; its signature; freshness), then the client
 * certificate. Verifications are remembered until the trust state changes (a new view revision:
 * revocation, trust store, CA) or a chain's validity window ends. Bounded; oldest entries go first.
 */
export class CertificateCredentialVerifier {
  private readonly cache = new Map<string, CachedVerification>();

  constructor(
    readonly verifier: CertificateVerifier,
    readonly attestingPrincipal: string,
    private readonly maxEntries = 1000,
  ) {}

  verify(credential: string, nowMs: number): CertificateCredentialResult {
    // The gateway reuses an attested credential for a while per connection: the same string skips the signature check.
    const seen = this.cache.get(`f:${credential}`);
    if (seen && seen.revision === this.verifier.revision && nowMs < seen.validUntil && nowMs >= seen.validFrom) return seen.result;
    const result = this.verifyUncached(credential, nowMs);
    if (result.ok) {
      const parsed = parseCertificateCredential(credential) as ParsedCertificateCredential;
      const validUntil = Math.min(parsed.time + ATTESTATION_MAX_AGE_MS, ...result.chain.map((c) => c.notAfter.getTime()));
      const validFrom = Math.max(parsed.time - ATTESTATION_MAX_SKEW_MS, ...result.chain.map((c) => c.notBefore.getTime()));
      this.remember(`f:${credential}`, { revision: this.verifier.revision, validUntil, validFrom, result });
    }
    return result;
  }

  private verifyUncached(credential: string, nowMs: number): CertificateCredentialResult {
    const parsed = parseCertificateCredential(credential);
    if ('error' in parsed) return { ok: false, reason: 'malformed', message: parsed.error };
    if (parsed.time < nowMs - ATTESTATION_MAX_AGE_MS || parsed.time > nowMs + ATTESTATION_MAX_SKEW_MS) {
      return { ok: false, reason: 'attestation', message: 'the certificate credential is stale (attested more than 60 s ago)' };
    }
    const attestor = this.cached(`a:${parsed.attestor.toString('base64')}`, nowMs, () => this.verifyAttestor(parsed.attestor, nowMs));
    if (!attestor.ok) return { ok: false, reason: 'attestation', message: `the attesting certificate is not accepted: ${attestor.message}` };
    const payload = attestationPayload(parsed.certificates, String(parsed.time));
    let signed = false;
    try {
      signed = verify('sha256', payload, attestor.certificate.publicKey, parsed.signature);
    } catch {
      signed = false;
    }
    if (!signed) return { ok: false, reason: 'attestation', message: 'the attestation signature does not verify' };
    return this.cached(`c:${parsed.certificates}`, nowMs, () => this.verifier.verify(parsed.leaf, { intermediates: parsed.intermediates, now: new Date(nowMs) }));
  }

  private verifyAttestor(der: Buffer, nowMs: number): ClientVerification {
    const v = this.verifier.verify(der, { now: new Date(nowMs) });
    if (!v.ok) return v;
    if (v.principal !== this.attestingPrincipal || v.anchor !== 'am-issuing-ca') return { ok: false, reason: 'no-principal', message: `only ${this.attestingPrincipal} (issued by this PKI) attests certificates` };
    if (!v.certificate.extKeyUsage?.includes(SERVER_AUTH)) return { ok: false, reason: 'wrong-eku', message: 'the attesting certificate lacks serverAuth' };
    return v;
  }

  private cached(key: string, nowMs: number, compute: () => ClientVerification): ClientVerification {
    const revision = this.verifier.revision;
    const hit = this.cache.get(key);
    if (hit && hit.revision === revision && nowMs < hit.validUntil && nowMs >= hit.validFrom) return hit.result;
    const result = compute();
    if (result.ok) {
      const validUntil = Math.min(...result.chain.map((c) => c.notAfter.getTime()));
      const validFrom = Math.max(...result.chain.map((c) => c.notBefore.getTime()));
      this.remember(key, { revision, validUntil, validFrom, result });
    }
    return result;
  }

  private remember(key: string, entry: CachedVerification): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
  }
}

