/**
 * Parsing X.509 certificates from untrusted input into the fields the PKI needs, plus the
 * signature check against an issuer's key. Structure errors are X509InputError.
 */
import { createHash, verify as verifySignature, type KeyObject } from 'node:crypto';
import { publicKeyFromSpki, verificationHash, type PublicKeyInfo } from './algorithms';
import { childrenOf, expectTag, readBitString, readOid, readRoot, readTime, readUnsignedHex, wholeOf } from './der-reader';
import { TAG } from './der-writer';
import { X509InputError, asInputError } from './errors';
import {
  decodeAuthorityKeyIdentifier,
  decodeBasicConstraints,
  decodeExtKeyUsage,
  decodeExtensions,
  decodeKeyUsage,
  decodeSubjectKeyIdentifier,
  type KeyUsageName,
  type ParsedExtension,
} from './extensions';
import { decodeGeneralNames, emptyAltNames, type SubjectAltNames } from './general-names';
import { decodeName, type NameAttribute } from './names';
import { OID } from './oids';
import { derFromPemOrDer, toPem } from './pem';

/** Upper bound for one certificate or CSR given to us; real ones are a few KiB. */
export const MAX_INPUT_BYTES = 64 * 1024;

export interface ParsedCertificate {
  der: Buffer;
  pem: string;
  /** Normalised serial hex (lowercase, no leading zeros). */
  serialHex: string;
  issuerDer: Buffer;
  subjectDer: Buffer;
  subject: NameAttribute[];
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  publicKey: KeyObject;
  publicKeyInfo: PublicKeyInfo;
  extensions: ParsedExtension[];
  basicConstraints?: { ca: boolean; pathLength?: number };
  keyUsage?: Set<KeyUsageName>;
  /** Extended key usage OIDs; undefined when the extension is absent. */
  extKeyUsage?: string[];
  altNames: SubjectAltNames;
  subjectKeyId?: Buffer;
  authorityKeyId?: Buffer;
  /** SHA-256 of the DER, lowercase hex. */
  fingerprint256: string;
  tbs: Buffer;
  signatureAlgorithm: string;
  signature: Buffer;
}

export function checkInputSize(input: string | Buffer, what: string): void {
  const size = typeof input === 'string' ? input.length : input.length;
  if (size === 0) throw new X509InputError(`the ${what} is empty`);
  if (size > MAX_INPUT_BYTES) throw new X509InputError(`the ${what} is larger than ${MAX_INPUT_BYTES} bytes`, 'too-large');
}

export function parseCertificate(input: string | Buffer): ParsedCertificate {
  checkInputSize(input, 'certificate');
  const der = Buffer.from(derFromPemOrDer(input, ['CERTIFICATE'], 'certificate'));
  const [tbsNode, outerAlgNode, sigNode, extra] = childrenOf(der, expectTag(readRoot(der), TAG.SEQUENCE, 'certificate'));
  if (extra) throw new X509InputError('certificate has extra fields', 'malformed');
  const tbsFields = childrenOf(der, expectTag(tbsNode, TAG.SEQUENCE, 'tbsCertificate'));
  let i = 0;
  if (tbsFields[0]?.tag === 0xa0) i++; // version; absence means v1, which simply has no extensions
  const serialHex = readUnsignedHex(der, tbsFields[i++], 'serial number');
  const innerAlgNode = expectTag(tbsFields[i++], TAG.SEQUENCE, 'signature algorithm');
  const issuerNode = expectTag(tbsFields[i++], TAG.SEQUENCE, 'issuer');
  const [notBeforeNode, notAfterNode] = childrenOf(der, expectTag(tbsFields[i++], TAG.SEQUENCE, 'validity'));
  const subjectNode = expectTag(tbsFields[i++], TAG.SEQUENCE, 'subject');
  const spkiNode = expectTag(tbsFields[i++], TAG.SEQUENCE, 'subject public key info');
  while (tbsFields[i] && (tbsFields[i].tag === 0x81 || tbsFields[i].tag === 0x82)) i++; // unique identifiers
  const extensionsNode = tbsFields[i]?.tag === 0xa3 ? tbsFields[i++] : undefined;
  if (tbsFields[i]) throw new X509InputError('tbsCertificate has unexpected fields', 'malformed');
  if (!wholeOf(der, innerAlgNode).equals(wholeOf(der, outerAlgNode))) {
    throw new X509InputError('the two signature algorithm fields differ', 'malformed');
  }

  const spki = Buffer.from(wholeOf(der, spkiNode));
  const { key: publicKey, info: publicKeyInfo } = publicKeyFromSpki(spki);
  const extensions = extensionsNode ? decodeExtensions(der, childrenOf(der, extensionsNode)[0] ?? extensionsNode) : [];
  const find = (id: string) => extensions.find((e) => e.oid === id);
  const decodeOptional = <T>(id: string, decode: (e: ParsedExtension) => T): T | undefined => {
    const ext = find(id);
    return ext ? asInputError(`extension ${id}`, () => decode(ext)) : undefined;
  };
  const san = find(OID.subjectAltName);
  return {
    der,
    pem: toPem(der, 'CERTIFICATE'),
    serialHex,
    issuerDer: Buffer.from(wholeOf(der, issuerNode)),
    subjectDer: Buffer.from(wholeOf(der, subjectNode)),
    subject: decodeName(der, subjectNode),
    notBefore: readTime(der, notBeforeNode),
    notAfter: readTime(der, notAfterNode),
    spki,
    publicKey,
    publicKeyInfo,
    extensions,
    basicConstraints: decodeOptional(OID.basicConstraints, decodeBasicConstraints),
    keyUsage: decodeOptional(OID.keyUsage, decodeKeyUsage),
    extKeyUsage: decodeOptional(OID.extKeyUsage, decodeExtKeyUsage),
    altNames: san ? decodeGeneralNames(san.value, readRoot(san.value)) : emptyAltNames(),
    subjectKeyId: decodeOptional(OID.subjectKeyIdentifier, decodeSubjectKeyIdentifier),
    authorityKeyId: decodeOptional(OID.authorityKeyIdentifier, decodeAuthorityKeyIdentifier),
    fingerprint256: createHash('sha256').update(der).digest('hex'),
    tbs: Buffer.from(wholeOf(der, tbsNode)),
    signatureAlgorithm: readOid(der, childrenOf(der, outerAlgNode)[0]),
    signature: Buffer.from(readBitString(der, sigNode, 'signature').bytes),
  };
}

/** True when `cert`'s signature verifies with `issuerKey` (any algorithm problem counts as false). */
export function isSignedBy(cert: ParsedCertificate, issuerKey: KeyObject, issuerKeyType: 'ec' | 'rsa'): boolean {
  try {
    return verifySignature(verificationHash(cert.signatureAlgorithm, issuerKeyType), cert.tbs, issuerKey, cert.signature);
  } catch {
    return false;
  }
}

/** SHA-256 fingerprint of a certificate (PEM or DER), lowercase hex; see `formatFingerprint`. */
export function certificateFingerprint(input: string | Buffer): string {
  checkInputSize(input, 'certificate');
  return createHash('sha256').update(derFromPemOrDer(input, ['CERTIFICATE'], 'certificate')).digest('hex');
}

/** "AB:CD:…" as openssl and browsers print fingerprints. */
export const formatFingerprint = (hex: string): string => hex.toUpperCase().match(/../g)?.join(':') ?? '';

/** Accepts either form (with or without colons, any case, optional "sha256:" prefix) and returns lowercase hex. */
export function normalizeFingerprint(input: string): string {
  const hex = input.trim().replace(/^sha256[:=]/i, '').replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new X509InputError(`not a SHA-256 fingerprint: ${JSON.stringify(input.slice(0, 100))}`);
  return hex;
}
