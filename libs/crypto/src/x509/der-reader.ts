/**
 * A bounded DER reader for untrusted input (CSRs, client certificates). It never reads outside
 * the node it is given: every length is checked against its parent, indefinite lengths and
 * multi-byte tags are refused, and all failures are X509InputError.
 */
import { TAG } from './der-writer';
import { X509InputError } from './errors';
import { decodeTime } from './time';

export interface DerNode {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset just after the content. */
  readonly end: number;
}

const malformed = (why: string): never => {
  throw new X509InputError(`malformed DER: ${why}`, 'malformed');
};

/** Reads the TLV starting at `offset`, which must end at or before `limit`. */
export function readNode(buf: Buffer, offset: number, limit: number): DerNode {
  if (offset + 2 > limit) malformed('truncated header');
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) malformed('multi-byte tags are not supported');
  let length = buf[offset + 1];
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) malformed('indefinite length');
    if (count > 4) malformed('length too large');
    if (contentStart + count > limit) malformed('truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[contentStart + i];
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) malformed('content runs past its container');
  return { tag, start: offset, contentStart, end };
}

/** Parses a whole buffer as exactly one TLV (no trailing bytes). */
export function readRoot(buf: Buffer): DerNode {
  const node = readNode(buf, 0, buf.length);
  if (node.end !== buf.length) malformed('trailing bytes after the structure');
  return node;
}

/** The direct children of a constructed node. */
export function childrenOf(buf: Buffer, parent: DerNode): DerNode[] {
  if (!(parent.tag & 0x20)) malformed(`tag 0x${parent.tag.toString(16)} is not constructed`);
  const out: DerNode[] = [];
  for (let offset = parent.contentStart; offset < parent.end; ) {
    const child = readNode(buf, offset, parent.end);
    out.push(child);
    offset = child.end;
  }
  return out;
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node) return malformed(`missing ${what}`);
  if (node.tag !== tag) malformed(`${what}: expected tag 0x${tag.toString(16)}, got 0x${node.tag.toString(16)}`);
  return node;
}

export const contentOf = (buf: Buffer, node: DerNode): Buffer => buf.subarray(node.contentStart, node.end);
export const wholeOf = (buf: Buffer, node: DerNode): Buffer => buf.subarray(node.start, node.end);

export function readOid(buf: Buffer, node: DerNode): string {
  expectTag(node, TAG.OID, 'object identifier');
  const bytes = contentOf(buf, node);
  if (bytes.length === 0 || bytes.length > 64) malformed('object identifier length');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    value = value * 128 + (bytes[i] & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) malformed('object identifier arc too large');
    if (!(bytes[i] & 0x80)) {
      arcs.push(value);
      value = 0;
    } else if (i === bytes.length - 1) malformed('object identifier ends mid-arc');
  }
  const first = arcs[0] < 40 ? 0 : arcs[0] < 80 ? 1 : 2;
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join('.');
}

/** INTEGER as lowercase hex of its magnitude without leading zeros; negative values are refused. */
export function readUnsignedHex(buf: Buffer, node: DerNode, what: string): string {
  expectTag(node, TAG.INTEGER, what);
  const bytes = contentOf(buf, node);
  if (bytes.length === 0) malformed(`${what}: empty integer`);
  if (bytes[0] & 0x80) malformed(`${what}: negative integer`);
  return bytes.toString('hex').replace(/^0+(?=.)/, '');
}

export function readSmallInteger(buf: Buffer, node: DerNode, what: string): number {
  const hex = readUnsignedHex(buf, node, what);
  if (hex.length > 8) malformed(`${what}: integer too large`);
  return parseInt(hex, 16);
}

export function readBoolean(buf: Buffer, node: DerNode): boolean {
  expectTag(node, TAG.BOOLEAN, 'boolean');
  if (node.end - node.contentStart !== 1) malformed('boolean length');
  return buf[node.contentStart] !== 0;
}

/** BIT STRING content without the unused-bits byte (which is returned separately). */
export function readBitString(buf: Buffer, node: DerNode, what: string): { bytes: Buffer; unusedBits: number } {
  expectTag(node, TAG.BIT_STRING, what);
  const content = contentOf(buf, node);
  if (content.length === 0 || content[0] > 7) malformed(`${what}: bad bit string`);
  return { bytes: content.subarray(1), unusedBits: content[0] };
}

export function readTime(buf: Buffer, node: DerNode | undefined): Date {
  if (!node || (node.tag !== TAG.UTC_TIME && node.tag !== TAG.GENERALIZED_TIME)) return malformed('expected a time');
  return decodeTime(node.tag, contentOf(buf, node).toString('latin1'));
}

/** A string value in a Name or a GeneralName, decoded by its tag. */
export function readString(buf: Buffer, node: DerNode): string {
  const bytes = contentOf(buf, node);
  switch (node.tag) {
    case TAG.BMP_STRING:
      if (bytes.length % 2) malformed('odd BMPString length');
      return Buffer.from(bytes).swap16().toString('utf16le');
    case TAG.UTF8_STRING:
      return bytes.toString('utf8');
    default:
      return bytes.toString('latin1');
  }
}
