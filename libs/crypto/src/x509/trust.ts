/**
 * Client certificate verification for mTLS: a trust store of CA certificates (our chain plus
 * external CAs, each with a principal mapping rule) and of pinned self-signed certificates
 * (registered on a principal by SHA-256 fingerprint).
 *
 * Every certificate in the store is a trust anchor: a chain is accepted as soon as it reaches
 * one (our intermediate is an anchor itself, so leaves need no presented chain). Checks: each
 * signature; validity of every certificate at `now`; CA certificates must be CA:TRUE with
 * keyCertSign and respect pathLen; the leaf must not be a CA, must list EKU clientAuth (absent
 * EKU is refused, although RFC 5280 would read it as "any"), must allow digitalSignature if it
 * has keyUsage; unknown critical extensions are refused; revocation is asked per certificate
 * below the anchor. No name constraints or policies are evaluated (critical ones are refused).
 */
import { isSignedBy, parseCertificate, normalizeFingerprint, type ParsedCertificate } from './certificate';
import { X509Error, X509InputError } from './errors';
import { OID } from './oids';
import { OWN_CA_MAPPING, checkMappingRule, mapToPrincipal, type PrincipalMappingRule } from './principal-mapping';
import { checkCertificatePrincipal } from './principal';
import { formatName } from './names';

export interface TrustAnchorInput {
  certificate: string | Buffer;
  /** Default: SAN URI under am://user/ or am://workload/ (the rule for our own CA). */
  mapping?: PrincipalMappingRule;
  /** For messages and results, e.g. "own-intermediate" or the external CA's id. */
  label?: string;
}

export interface PinnedCertificate {
  fingerprint: string;
  principal: string;
}

export interface TrustAnchor {
  certificate: ParsedCertificate;
  mapping: PrincipalMappingRule;
  label: string;
}

export interface TrustStore {
  anchors: TrustAnchor[];
  /** Normalised fingerprint → principal. */
  pinned: Map<string, string>;
}

export type RejectReason =
  | 'malformed'
  | 'untrusted'
  | 'bad-signature'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-eku'
  | 'wrong-key-usage'
  | 'not-a-leaf'
  | 'invalid-ca'
  | 'unsupported-extension'
  | 'revoked'
  | 'no-principal';

export type ClientVerification =
  | { ok: true; principal: string; certificate: ParsedCertificate; anchor: string; chain: ParsedCertificate[] }
  | { ok: false; reason: RejectReason; message: string };

export interface VerifyOptions {
  now?: Date;
  /** Intermediate certificates the client presented (PEM blocks or DER). */
  intermediates?: (string | Buffer)[];
  /** Revoked serials (normalised hex), or a lookup that can also consider the issuer. */
  revoked?: ReadonlySet<string> | ((serialHex: string, issuer: ParsedCertificate) => boolean);
  maxChainLength?: number;
}

const KNOWN_EXTENSIONS = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.crlDistributionPoints,
]);

export function createTrustStore(input: { anchors: TrustAnchorInput[]; pinned?: Iterable<PinnedCertificate> }): TrustStore {
  const anchors = input.anchors.map((a, i) => {
    const certificate = parseCertificate(a.certificate);
    const label = a.label ?? (formatName(certificate.subject) || `anchor ${i}`);
    if (caProblem(certificate)) throw new X509InputError(`trust anchor ${label}: ${caProblem(certificate)}`);
    return { certificate, mapping: checkMappingRule(a.mapping ?? OWN_CA_MAPPING), label };
  });
  const pinned = new Map<string, string>();
  for (const p of input.pinned ?? []) pinned.set(normalizeFingerprint(p.fingerprint), checkCertificatePrincipal(p.principal));
  return { anchors, pinned };
}

class Rejection extends X509Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message, reason);
  }
}
const reject = (reason: RejectReason, message: string): never => {
  throw new Rejection(reason, message);
};

export function verifyClientCertificate(store: TrustStore, presented: string | Buffer, options: VerifyOptions = {}): ClientVerification {
  try {
    return verifyOrThrow(store, presented, options);
  } catch (err) {
    if (err instanceof Rejection) return { ok: false, reason: err.reason, message: err.message };
    if (err instanceof X509InputError) return { ok: false, reason: 'malformed', message: err.message };
    throw err;
  }
}

function verifyOrThrow(store: TrustStore, presented: string | Buffer, options: VerifyOptions): ClientVerification {
  const now = options.now ?? new Date();
  const leaf = parseCertificate(presented);
  checkLeaf(leaf, now);

  const pinnedPrincipal = store.pinned.get(leaf.fingerprint256);
  if (pinnedPrincipal) return { ok: true, principal: pinnedPrincipal, certificate: leaf, anchor: 'pinned', chain: [leaf] };

  const intermediates = (options.intermediates ?? []).map((c) => parseCertificate(c));
  const maxChainLength = options.maxChainLength ?? 5;
  const chain = [leaf];
  for (let current = leaf; chain.length <= maxChainLength; ) {
    const anchor = store.anchors.find((a) => issues(a.certificate, current));
    if (anchor) {
      checkSignature(current, anchor.certificate);
      checkValidity(anchor.certificate, now, 'the trusted CA');
      checkPathLength(anchor.certificate, chain.length - 1);
      checkRevocation(current, anchor.certificate, options);
      const mapped = mapToPrincipal(leaf, anchor.mapping);
      if ('error' in mapped) return reject('no-principal', mapped.error);
      return { ok: true, principal: mapped.principal, certificate: leaf, anchor: anchor.label, chain: [...chain, anchor.certificate] };
    }
    const issuer = intermediates.find((c) => issues(c, current) && !chain.includes(c));
    if (!issuer) return reject('untrusted', `no trusted issuer for ${describe(current)}`);
    checkSignature(current, issuer);
    const problem = caProblem(issuer);
    if (problem) reject('invalid-ca', `${describe(issuer)}: ${problem}`);
    checkValidity(issuer, now, 'an intermediate CA');
    checkPathLength(issuer, chain.length - 1);
    checkRevocation(current, issuer, options);
    chain.push(issuer);
    current = issuer;
  }
  return reject('untrusted', `no trusted issuer within ${maxChainLength} certificates`);
}

function checkLeaf(leaf: ParsedCertificate, now: Date): void {
  if (leaf.basicConstraints?.ca) reject('not-a-leaf', 'a CA certificate cannot be used as a client certificate');
  checkValidity(leaf, now, 'the certificate');
  if (!leaf.extKeyUsage?.includes(OID.clientAuth)) reject('wrong-eku', 'the certificate does not allow clientAuth (extended key usage)');
  if (leaf.keyUsage && !leaf.keyUsage.has('digitalSignature')) reject('wrong-key-usage', 'the certificate key usage lacks digitalSignature');
  checkCriticalExtensions(leaf);
}

function checkCriticalExtensions(cert: ParsedCertificate): void {
  const unknown = cert.extensions.find((e) => e.critical && !KNOWN_EXTENSIONS.has(e.oid));
  if (unknown) reject('unsupported-extension', `${describe(cert)} has an unsupported critical extension ${unknown.oid}`);
}

function caProblem(cert: ParsedCertificate): string | undefined {
  if (!cert.basicConstraints?.ca) return 'not a CA certificate (basicConstraints CA:TRUE missing)';
  if (cert.keyUsage && !cert.keyUsage.has('keyCertSign')) return 'key usage lacks keyCertSign';
  const unknown = cert.extensions.find((e) => e.critical && !KNOWN_EXTENSIONS.has(e.oid));
  return unknown ? `unsupported critical extension ${unknown.oid}` : undefined;
}

/** Name match, refined by key identifiers when both sides have them. */
function issues(issuer: ParsedCertificate, cert: ParsedCertificate): boolean {
  if (!issuer.subjectDer.equals(cert.issuerDer)) return false;
  return !(cert.authorityKeyId && issuer.subjectKeyId) || cert.authorityKeyId.equals(issuer.subjectKeyId);
}

function checkSignature(cert: ParsedCertificate, issuer: ParsedCertificate): void {
  if (!isSignedBy(cert, issuer.publicKey, issuer.publicKeyInfo.type)) reject('bad-signature', `the signature of ${describe(cert)} does not verify with its issuer's key`);
}

function checkValidity(cert: ParsedCertificate, now: Date, what: string): void {
  if (now < cert.notBefore) reject('not-yet-valid', `${what} is not valid before ${cert.notBefore.toISOString()}`);
  if (now > cert.notAfter) reject('expired', `${what} expired at ${cert.notAfter.toISOString()}`);
}

/** `below` = number of intermediate CA certificates between this CA and the leaf. */
function checkPathLength(ca: ParsedCertificate, below: number): void {
  const limit = ca.basicConstraints?.pathLength;
  if (limit !== undefined && below > limit) reject('invalid-ca', `${describe(ca)} allows ${limit} intermediate CA(s) below it, the chain has ${below}`);
}

function checkRevocation(cert: ParsedCertificate, issuer: ParsedCertificate, options: VerifyOptions): void {
  const revoked = options.revoked;
  if (!revoked) return;
  const isRevoked = typeof revoked === 'function' ? revoked(cert.serialHex, issuer) : revoked.has(cert.serialHex);
  if (isRevoked) reject('revoked', `${describe(cert)} has been revoked`);
}

const describe = (cert: ParsedCertificate): string => `certificate ${cert.serialHex} (${formatName(cert.subject) || cert.altNames.uris[0] || 'no subject'})`;
