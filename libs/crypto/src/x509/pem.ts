/** PEM armour: encoding with 64-column lines, and strict decoding of untrusted text. */
import { X509InputError } from './errors';

export function toPem(der: Buffer, label: string): string {
  const base64 = der.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export interface PemBlock {
  label: string;
  der: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END ([A-Z0-9 ]+)-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** All PEM blocks in `text`, in order. Text outside the blocks (e.g. openssl's comments) is ignored. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    if (m[1] !== m[3]) throw new X509InputError(`PEM block BEGIN ${m[1]} ends with END ${m[3]}`, 'malformed');
    if (!BASE64_BODY.test(m[2])) throw new X509InputError(`PEM block ${m[1]} has a body that is not base64`, 'malformed');
    out.push({ label: m[1], der: Buffer.from(m[2].replace(/\s+/g, ''), 'base64') });
  }
  return out;
}

/** The DER of the first block with one of `labels`; Buffers that are not PEM are taken as DER. */
export function derFromPemOrDer(input: string | Buffer, labels: readonly string[], what: string): Buffer {
  const text = typeof input === 'string' ? input : looksLikePem(input) ? input.toString('latin1') : null;
  if (text === null) return input as Buffer;
  const block = pemBlocks(text).find((b) => labels.includes(b.label));
  if (!block) throw new X509InputError(`no PEM block "${labels[0]}" found in the ${what}`, 'malformed');
  return block.der;
}

const looksLikePem = (buf: Buffer): boolean => buf.subarray(0, 64).toString('latin1').includes('-----BEGIN ');
