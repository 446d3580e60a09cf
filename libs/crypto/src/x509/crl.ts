/**
 * Certificate revocation lists (RFC 5280 §5): v2, signed by the issuing CA, with the CRL number
 * and AKI extensions and per-entry reason codes. The DER is written entry by entry into Buffers
 * (no ASN.1 object tree), so 100,000 entries take well under a second; PEM uses the "X509 CRL"
 * label that openssl and node's tls accept.
 */
import type { CertificateAuthority } from './ca';
import { TAG, explicit, sequence, smallInteger, tlvOfList, unsignedInteger } from './der-writer';
import { X509InputError } from './errors';
import { extension } from './extensions';
import { OID } from './oids';
import { toPem } from './pem';
import { normalizeSerialHex, serialDer } from './serial';
import { signStructure } from './signing';
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

export function buildCrl(ca: CertificateAuthority, revoked: Iterable<RevokedCertificate>, options: CrlOptions): GeneratedCrl {
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
    ca.signing.identifier,
    ca.certificate.subjectDer,
    encodeTime(thisUpdate),
    encodeTime(nextUpdate),
    // revokedCertificates is omitted (not empty) when nothing is revoked.
    ...(entries.length ? [tlvOfList(TAG.SEQUENCE, entries)] : []),
    explicit(0, sequence(ca.authorityKeyIdExtension, crlNumberExtension)),
  ]);
  const der = signStructure(tbs, ca.signing, ca.privateKey);
  return { der, pem: toPem(der, 'X509 CRL'), crlNumber, thisUpdate, nextUpdate, entryCount: entries.length };
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
