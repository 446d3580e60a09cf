/** Certificate serial numbers: random 128-bit positive integers, compared as normalised hex. */
import { randomBytes } from 'node:crypto';
import { unsignedInteger } from './der-writer';
import { X509InputError } from './errors';

export interface Serial {
  /** INTEGER DER, ready for a TBSCertificate or a CRL entry. */
  der: Buffer;
  /** Normalised hex: lowercase, no leading zeros. */
  hex: string;
}

/** 128 random bits; the DER INTEGER gets a leading zero byte when needed to stay positive. */
export function randomSerial(): Serial {
  for (;;) {
    const bytes = randomBytes(16);
    const hex = bytes.toString('hex').replace(/^0+/, '');
    if (hex) return { der: unsignedInteger(bytes), hex };
  }
}

/** Accepts "0A:1b…", "0x0a1b…" or plain hex; returns lowercase hex without leading zeros. */
export function normalizeSerialHex(input: string): string {
  const hex = input.trim().replace(/^0x/i, '').replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{1,42}$/.test(hex)) throw new X509InputError(`not a certificate serial number: ${JSON.stringify(input.slice(0, 80))}`);
  return hex.replace(/^0+(?=.)/, '');
}

/** INTEGER DER for a normalised serial. */
export function serialDer(hex: string): Buffer {
  return unsignedInteger(Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex'));
}
