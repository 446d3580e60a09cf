/**
 * A small DER writer. Every function returns a finished TLV as a Buffer, allocated once at its
 * final size; the certificate and CRL builders assemble these (and precomputed constants) without
 * an intermediate ASN.1 object tree, which is what makes issuance and large CRLs fast.
 */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

function headerLength(contentLength: number): number {
  if (contentLength < 0x80) return 2;
  if (contentLength <= 0xff) return 3;
  if (contentLength <= 0xffff) return 4;
  if (contentLength <= 0xffffff) return 5;
  return 6;
}

/** Writes tag + length at `offset`; returns the offset just after the header. */
function writeHeader(out: Buffer, offset: number, tag: number, contentLength: number): number {
  out[offset++] = tag;
  if (contentLength < 0x80) {
    out[offset++] = contentLength;
    return offset;
  }
  const lengthBytes = headerLength(contentLength) - 2;
  out[offset++] = 0x80 | lengthBytes;
  for (let shift = (lengthBytes - 1) * 8; shift >= 0; shift -= 8) out[offset++] = (contentLength / 2 ** shift) & 0xff;
  return offset;
}

/** One TLV whose content is the concatenation of `parts`. */
export const tlv = (tag: number, ...parts: Buffer[]): Buffer => tlvOfList(tag, parts);

/** Like `tlv`, for a long list of parts (CRL entries) that should not be spread as arguments. */
export function tlvOfList(tag: number, parts: readonly Buffer[]): Buffer {
  let contentLength = 0;
  for (const p of parts) contentLength += p.length;
  const out = Buffer.allocUnsafe(headerLength(contentLength) + contentLength);
  let offset = writeHeader(out, 0, tag, contentLength);
  for (const p of parts) offset += p.copy(out, offset);
  return out;
}

export const sequence = (...parts: Buffer[]): Buffer => tlv(TAG.SEQUENCE, ...parts);
export const set = (...parts: Buffer[]): Buffer => tlv(TAG.SET, ...parts);
export const octetString = (content: Buffer): Buffer => tlv(TAG.OCTET_STRING, content);
/** [n] EXPLICIT (constructed, context-specific). */
export const explicit = (n: number, ...parts: Buffer[]): Buffer => tlv(0xa0 | n, ...parts);
/** [n] IMPLICIT primitive (context-specific), e.g. GeneralName choices. */
export const implicitPrimitive = (n: number, content: Buffer): Buffer => tlv(0x80 | n, content);
export const NULL = Buffer.from([TAG.NULL, 0]);
export const TRUE = Buffer.from([TAG.BOOLEAN, 1, 0xff]);

/** BIT STRING with whole bytes (no unused bits), e.g. a signature or a public key. */
export const bitString = (bytes: Buffer): Buffer => tlv(TAG.BIT_STRING, Buffer.from([0]), bytes);

/** INTEGER from an unsigned big-endian magnitude, in minimal two's-complement form. */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const body = magnitude.subarray(start);
  return body[0] & 0x80 ? tlv(TAG.INTEGER, Buffer.from([0]), body) : tlv(TAG.INTEGER, body);
}

export function smallInteger(value: number, tag: number = TAG.INTEGER): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw new RangeError(`integer out of range: ${value}`);
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(tag, Buffer.from(bytes));
}

/** OBJECT IDENTIFIER from dotted form. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const bytes: number[] = [arcs[0] * 40 + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(TAG.OID, Buffer.from(bytes));
}

export const utf8String = (text: string): Buffer => tlv(TAG.UTF8_STRING, Buffer.from(text, 'utf8'));
export const ia5String = (text: string): Buffer => tlv(TAG.IA5_STRING, Buffer.from(text, 'latin1'));
export function bmpString(text: string): Buffer {
  const units = Buffer.from(text, 'utf16le');
  return tlv(TAG.BMP_STRING, units.swap16());
}
