/** Certificate extensions: encoders for what we issue, decoders for what we verify. */
import { createHash } from 'node:crypto';
import {
  childrenOf,
  contentOf,
  expectTag,
  readBitString,
  readBoolean,
  readNode,
  readOid,
  readRoot,
  readSmallInteger,
  type DerNode,
} from './der-reader';
import { TAG, TRUE, implicitPrimitive, octetString, oid, sequence, smallInteger, tlv } from './der-writer';
import { X509InputError } from './errors';
import { OID } from './oids';

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
export const KEY_USAGE = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;
export type KeyUsageName = keyof typeof KEY_USAGE;

export function extension(oidText: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(oidText), TRUE, octetString(value)) : sequence(oid(oidText), octetString(value));
}

export function basicConstraints(ca: boolean, pathLength?: number): Buffer {
  const body = ca ? [TRUE, ...(pathLength === undefined ? [] : [smallInteger(pathLength)])] : [];
  return extension(OID.basicConstraints, true, sequence(...body));
}

/** KeyUsage as a DER named-bit BIT STRING (trailing zero bits dropped), always critical. */
export function keyUsage(usages: readonly KeyUsageName[]): Buffer {
  let bits = 0;
  for (const u of usages) bits |= 0x80 >> KEY_USAGE[u];
  let unused = 0;
  while (unused < 8 && !(bits & (1 << unused))) unused++;
  return extension(OID.keyUsage, true, tlv(TAG.BIT_STRING, Buffer.from([unused, bits])));
}

export const extKeyUsage = (oids: readonly string[]): Buffer => extension(OID.extKeyUsage, false, sequence(...oids.map(oid)));
export const subjectKeyIdentifier = (keyId: Buffer): Buffer => extension(OID.subjectKeyIdentifier, false, octetString(keyId));
export const authorityKeyIdentifier = (keyId: Buffer): Buffer =>
  extension(OID.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, keyId)));

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifierOf(spki: Buffer): Buffer {
  const [, keyBits] = childrenOf(spki, readRoot(spki));
  return createHash('sha1').update(readBitString(spki, keyBits, 'subject public key').bytes).digest();
}

export interface ParsedExtension {
  oid: string;
  critical: boolean;
  /** The extnValue OCTET STRING content (the extension's own DER). */
  value: Buffer;
}

export function decodeExtensions(buf: Buffer, node: DerNode): ParsedExtension[] {
  const seen = new Set<string>();
  return childrenOf(buf, expectTag(node, TAG.SEQUENCE, 'extensions')).map((ext) => {
    const parts = childrenOf(buf, expectTag(ext, TAG.SEQUENCE, 'extension'));
    const id = readOid(buf, parts[0]);
    if (seen.has(id)) throw new X509InputError(`extension ${id} appears twice`, 'malformed');
    seen.add(id);
    const critical = parts.length === 3 ? readBoolean(buf, parts[1]) : false;
    const value = contentOf(buf, expectTag(parts[parts.length - 1], TAG.OCTET_STRING, 'extension value'));
    return { oid: id, critical, value };
  });
}

/** Parses an extension value as one complete DER element. */
export function extensionRoot(ext: ParsedExtension): { buf: Buffer; node: DerNode } {
  return { buf: ext.value, node: readRoot(ext.value) };
}

export function decodeBasicConstraints(ext: ParsedExtension): { ca: boolean; pathLength?: number } {
  const { buf, node } = extensionRoot(ext);
  const parts = childrenOf(buf, expectTag(node, TAG.SEQUENCE, 'basic constraints'));
  let i = 0;
  const ca = parts[i]?.tag === TAG.BOOLEAN ? readBoolean(buf, parts[i++]) : false;
  const pathLength = parts[i] ? readSmallInteger(buf, parts[i], 'pathLenConstraint') : undefined;
  return { ca, pathLength };
}

export function decodeKeyUsage(ext: ParsedExtension): Set<KeyUsageName> {
  const { buf, node } = extensionRoot(ext);
  const { bytes } = readBitString(buf, node, 'key usage');
  const out = new Set<KeyUsageName>();
  for (const [name, bit] of Object.entries(KEY_USAGE) as [KeyUsageName, number][]) {
    if ((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) out.add(name);
  }
  return out;
}

export function decodeExtKeyUsage(ext: ParsedExtension): string[] {
  const { buf, node } = extensionRoot(ext);
  return childrenOf(buf, expectTag(node, TAG.SEQUENCE, 'extended key usage')).map((n) => readOid(buf, n));
}

export function decodeSubjectKeyIdentifier(ext: ParsedExtension): Buffer {
  const { buf, node } = extensionRoot(ext);
  return contentOf(buf, expectTag(node, TAG.OCTET_STRING, 'subject key identifier'));
}

/** The keyIdentifier of an AuthorityKeyIdentifier, if present. */
export function decodeAuthorityKeyIdentifier(ext: ParsedExtension): Buffer | undefined {
  const { buf, node } = extensionRoot(ext);
  expectTag(node, TAG.SEQUENCE, 'authority key identifier');
  if (node.contentStart === node.end) return undefined;
  const first = readNode(buf, node.contentStart, node.end);
  return first.tag === 0x80 ? contentOf(buf, first) : undefined;
}
