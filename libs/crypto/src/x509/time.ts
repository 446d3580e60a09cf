/**
 * X.509 Time (RFC 5280 §4.1.2.5): UTCTime for years 1950–2049, GeneralizedTime otherwise, always
 * in whole seconds with a "Z" suffix.
 */
import { TAG, tlv } from './der-writer';
import { X509InputError } from './errors';

const two = (n: number): string => (n < 10 ? '0' : '') + n;

export function encodeTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  const rest =
    two(date.getUTCMonth() + 1) + two(date.getUTCDate()) + two(date.getUTCHours()) + two(date.getUTCMinutes()) + two(date.getUTCSeconds()) + 'Z';
  if (year >= 1950 && year < 2050) return tlv(TAG.UTC_TIME, Buffer.from(two(year % 100) + rest, 'latin1'));
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(String(year).padStart(4, '0') + rest, 'latin1'));
}

/** Drops milliseconds: certificates and CRLs carry whole seconds. */
export const wholeSeconds = (date: Date): Date => new Date(Math.floor(date.getTime() / 1000) * 1000);

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

export function decodeTime(tag: number, text: string): Date {
  const match = tag === TAG.UTC_TIME ? UTC_TIME.exec(text) : tag === TAG.GENERALIZED_TIME ? GENERALIZED_TIME.exec(text) : null;
  if (!match) throw new X509InputError(`malformed time ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const year = tag === TAG.UTC_TIME ? (y >= 50 ? 1900 + y : 2000 + y) : y;
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, s));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new X509InputError(`malformed time ${JSON.stringify(text)}`);
  }
  return date;
}
