/**
 * Certificate revocation lists (RFC 5280 §5): v2, signed by the issuing CA, with the CRL number
 * and AKI extensions and per-entry reason codes. The DER is written entry by entry into Buffers
 * (no ASN.1 object tree), so 100,000 entries take well under a second; PEM uses the "X509 CRL"
 * label that openssl and node's tls accept.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { signingAlgorithmFor, type SigningAlgorithm } from './algorithms';
import type { CertificateAuthority } from './ca';
import type { ParsedCertificate } from './certificate';
import { TAG, bitString, explicit, sequence, smallInteger, tlvOfList, unsignedInteger } from './der-writer';
import { X509Error, X509InputError } from './errors';
import { authorityKeyIdentifier, extension, keyIdentifierOf } from './extensions';
import { OID } from './oids';
import { toPem } from './pem';
import { normalizeSerialHex, serialDer } from './serial';
import { encodeTime, wholeSeconds } from './time';

/** CRLReason codes (RFC 5280 §5.3.1); 7 is unused. */
export const CRL_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type CrlReason = keyof typeof CRL_REASONS;

export const isCrlReason = (value: unknown): value is CrlReason => typeof value === 'string' && Object.hasOwn(CRL_REASONS, value);

export interface RevokedCertificate {
  serialHex: string;
  revokedAt: Date;
  /** Omitted from the entry when absent or "unspecified", as RFC 5280 recommends. */
  reason?: CrlReason;
}

export interface CrlOptions {
  /** Monotonically increasing per CA; the caller persists it. */
  crlNumber: bigint | number;
  thisUpdate?: Date;
  /** Default: thisUpdate + 24 h (CA/B Forum's current upper bound for re-issuing). */
  nextUpdate?: Date;
}

export interface GeneratedCrl {
  der: Buffer;
  pem: string;
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  entryCount: number;
}

export const DEFAULT_CRL_VALIDITY_MS = 24 * 3600 * 1000;
const VERSION_2 = smallInteger(1);

/** Entry extensions per reason, precomputed: most entries share one of a handful of values. */
const REASON_EXTENSIONS = new Map<CrlReason, Buffer>(
  (Object.entries(CRL_REASONS) as [CrlReason, number][])
    .filter(([name]) => name !== 'unspecified')
    .map(([name, code]) => [name, sequence(extension(OID.crlReason, false, smallInteger(code, TAG.ENUMERATED)))]),
);

/** The public parts of a CA that a CRL's TBS names: enough to rebuild a CRL without the key. */
export interface CrlIssuer {
  /** How the issuer signs (hash and AlgorithmIdentifier DER). */
  signing: SigningAlgorithm;
  subjectDer: Buffer;
  authorityKeyIdExtension: Buffer;
  publicKey: KeyObject;
}

export function crlIssuerOf(ca: CertificateAuthority): CrlIssuer {
  return {
    signing: ca.signing,
    subjectDer: ca.certificate.subjectDer,
    authorityKeyIdExtension: ca.authorityKeyIdExtension,
    publicKey: ca.certificate.publicKey,
  };
}

/** From the CA certificate alone (e.g. a verifier that never holds the key). */
export function crlIssuerFromCertificate(certificate: ParsedCertificate): CrlIssuer {
  return {
    signing: signingAlgorithmFor(certificate.publicKey),
    subjectDer: certificate.subjectDer,
    authorityKeyIdExtension: authorityKeyIdentifier(certificate.subjectKeyId ?? keyIdentifierOf(certificate.spki)),
    publicKey: certificate.publicKey,
  };
}

/** A CRL's TBSCertList: a pure function of its inputs, so anyone with the same inputs gets the same bytes. */
export interface CrlToBeSigned {
  tbs: Buffer;
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  entryCount: number;
}

export function buildCrl(ca: CertificateAuthority, revoked: Iterable<RevokedCertificate>, options: CrlOptions): GeneratedCrl {
  const toBeSigned = crlToBeSigned(crlIssuerOf(ca), revoked, options);
  return assembleCrl(crlIssuerOf(ca), toBeSigned, signCrl(ca, toBeSigned));
}

export function crlToBeSigned(issuer: CrlIssuer, revoked: Iterable<RevokedCertificate>, options: CrlOptions): CrlToBeSigned {
  const crlNumber = BigInt(options.crlNumber);
  if (crlNumber < 0n || crlNumber.toString(16).length > 40) throw new X509InputError(`CRL number out of range: ${crlNumber}`);
  const thisUpdate = wholeSeconds(options.thisUpdate ?? new Date());
  const nextUpdate = wholeSeconds(options.nextUpdate ?? new Date(thisUpdate.getTime() + DEFAULT_CRL_VALIDITY_MS));
  if (nextUpdate <= thisUpdate) throw new X509InputError('nextUpdate must be after thisUpdate');

  const entries: Buffer[] = [];
  for (const r of revoked) entries.push(revokedEntry(r));
  const hex = crlNumber.toString(16);
  const crlNumberExtension = extension(OID.crlNumber, false, unsignedInteger(Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex')));
  const tbs = tlvOfList(TAG.SEQUENCE, [
    VERSION_2,
    issuer.signing.identifier,
    issuer.subjectDer,
    encodeTime(thisUpdate),
    encodeTime(nextUpdate),
    ...(entries.length ? [tlvOfList(TAG.SEQUENCE, entries)] : []),
    explicit(0, sequence(issuer.authorityKeyIdExtension, crlNumberExtension)),
  ]);
  return { tbs, crlNumber, thisUpdate, nextUpdate, entryCount: entries.length };
}

/** The signature value over a TBSCertList (what a CA stores so others can reassemble the CRL). */
export function signCrl(ca: CertificateAuthority, toBeSigned: CrlToBeSigned): Buffer {
  return sign(ca.signing.hash, toBeSigned.tbs, ca.privateKey);
}

/** The CertificateList from its TBS and a signature; throws X509Error if the signature does not verify. */
export function assembleCrl(issuer: CrlIssuer, toBeSigned: CrlToBeSigned, signature: Buffer): GeneratedCrl {
  if (!verify(issuer.signing.hash, toBeSigned.tbs, issuer.publicKey, signature)) throw new X509Error('the CRL signature does not match its content', 'crl-signature-mismatch');
  const der = sequence(toBeSigned.tbs, issuer.signing.identifier, bitString(signature));
  const { crlNumber, thisUpdate, nextUpdate, entryCount } = toBeSigned;
  return { der, pem: toPem(der, 'X509 CRL'), crlNumber, thisUpdate, nextUpdate, entryCount };
}

function revokedEntry(r: RevokedCertificate): Buffer {
  const serial = serialDer(normalizeSerialHex(r.serialHex));
  if (!(r.revokedAt instanceof Date) || Number.isNaN(r.revokedAt.getTime())) throw new X509InputError(`revocation date of ${r.serialHex} is not a date`);
  const time = encodeTime(r.revokedAt);
  if (r.reason === undefined || r.reason === 'unspecified') return sequence(serial, time);
  const reason = REASON_EXTENSIONS.get(r.reason);
  if (!reason) throw new X509InputError(`unknown revocation reason ${JSON.stringify(r.reason)}`);
  return sequence(serial, time, reason);
}
