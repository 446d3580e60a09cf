/**
 * Names in server certificates: the `cert-names` grant payload and the names a certificate request
 * asks for (docs/access-model-decisions.md, "Certificates"). Pure: no node:net, so the engine can use it.
 *
 * A name list is `DNS:<name>`, `DNS:*.<name>` and `IP:<address>[/<prefix>]` entries separated by
 * commas or white space (the openssl subjectAltName spelling). DNS names are ASCII LDH labels,
 * compared in lower case; internationalized names must be written as A-labels (`xn--…`). A
 * wildcard stands for exactly one leftmost label. IPs are compared as bytes; IPv4-mapped IPv6
 * addresses are refused (write the IPv4 address), as are zones.
 */
import { InvalidArgumentError } from './errors';
import { isAncestorOrSelf } from './path';
import { Tag } from './tags';

export type CertNameGrant =
  /** `name` exactly, or (wildcard) any one label followed by `.name`. */
  | { readonly kind: 'DNS'; readonly name: string; readonly wildcard: boolean }
  /** Every address whose first `prefix` bits equal those of `bytes` (4 or 16 bytes). */
  | { readonly kind: 'IP'; readonly bytes: Uint8Array; readonly prefix: number };

/** A name asked for in a certificate, in canonical form. */
export type CertName = { readonly kind: 'DNS'; readonly name: string } | { readonly kind: 'IP'; readonly bytes: Uint8Array };

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_DNS_LENGTH = 253;
const MAX_ENTRIES = 1000;

/** `DNS:a.example.com` / `IP:10.0.0.5` / `IP:fd00::1` (RFC 5952 text), as errors and logs name it. */
export function formatCertName(name: CertName): string {
  return name.kind === 'DNS' ? `DNS:${name.name}` : `IP:${formatIp(name.bytes)}`;
}

export function formatCertNameGrant(grant: CertNameGrant): string {
  if (grant.kind === 'DNS') return `DNS:${grant.wildcard ? '*.' : ''}${grant.name}`;
  const full = grant.prefix === grant.bytes.length * 8;
  return `IP:${formatIp(grant.bytes)}${full ? '' : `/${grant.prefix}`}`;
}

/** Parses a grant list (a `cert-names` annotation, AM_PKI_RESERVED_NAMES); `what` names it in errors. */
export function parseCertNameGrants(text: string, what: string): CertNameGrant[] {
  const entries = text.split(/[\s,]+/).filter(Boolean);
  if (entries.length === 0) throw new InvalidArgumentError(`${what} names no certificate name (expected DNS:<name>, DNS:*.<name> or IP:<address>[/<prefix>])`);
  if (entries.length > MAX_ENTRIES) throw new InvalidArgumentError(`${what} has more than ${MAX_ENTRIES} names`);
  return entries.map((entry) => {
    const m = /^(dns|ip):(.*)$/i.exec(entry);
    const bad = (why: string) => new InvalidArgumentError(`${what}: ${JSON.stringify(entry.slice(0, 300))} ${why}`);
    if (!m) throw bad('is not DNS:<name>, DNS:*.<name> or IP:<address>[/<prefix>]');
    const value = m[2];
    if (m[1].toUpperCase() === 'DNS') {
      const wildcard = value.startsWith('*.');
      const name = checkDnsName(wildcard ? value.slice(2) : value, bad);
      if (wildcard && !name.includes('.')) throw bad('is too wide: a wildcard needs at least two labels after "*."');
      return { kind: 'DNS', name, wildcard };
    }
    const [address, prefixText, extra] = value.split('/');
    const bytes = parseIp(address);
    if (!bytes || extra !== undefined) throw bad('is not an IP address or CIDR block');
    const max = bytes.length * 8;
    if (prefixText === undefined) return { kind: 'IP', bytes, prefix: max };
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!(prefix >= 0 && prefix <= max)) throw bad(`has a prefix length outside 0-${max}`);
    if (!sameBits(bytes, masked(bytes, prefix), max)) throw bad(`has bits set after the prefix (the block is ${formatIp(masked(bytes, prefix))}/${prefix})`);
    return { kind: 'IP', bytes, prefix };
  });
}

export const WORKLOAD_ROOT = 'am://workload';

/** A `cert-names` annotation on `path` (write or load): on am://workload or below, with a valid list. */
export function checkCertNamesAnnotation(path: string, data: string): void {
  if (!isAncestorOrSelf(WORKLOAD_ROOT, path)) {
    throw new InvalidArgumentError(`a ${Tag.CERT_NAMES} annotation grants names to workloads: put it on ${WORKLOAD_ROOT} or below, not on ${path}`);
  }
  parseCertNameGrants(data, `${Tag.CERT_NAMES} annotation on ${path}`);
}

/** The DNS names and IP addresses of a certificate request, canonical; a malformed one is invalid-argument. */
export function parseRequestedCertNames(dns: readonly string[], ip: readonly string[]): CertName[] {
  const names: CertName[] = [];
  for (const d of dns) {
    const bad = (why: string) => new InvalidArgumentError(`DNS name ${JSON.stringify(String(d).slice(0, 300))} ${why}`);
    if (String(d).startsWith('*')) throw bad('is a wildcard; wildcard names are not issued');
    names.push({ kind: 'DNS', name: checkDnsName(String(d), bad) });
  }
  for (const a of ip) {
    const bytes = parseIp(String(a));
    if (!bytes) throw new InvalidArgumentError(`${JSON.stringify(String(a).slice(0, 100))} is not an IP address (IPv4 dotted, or IPv6 without a zone; IPv4-mapped IPv6 is written as IPv4)`);
    names.push({ kind: 'IP', bytes });
  }
  return names;
}

/** Does `grant` cover `name`? DNS: exact, or one label before a wildcard's base; IP: same prefix bits. */
export function grantCovers(grant: CertNameGrant, name: CertName): boolean {
  if (grant.kind === 'DNS' || name.kind === 'DNS') {
    if (grant.kind !== 'DNS' || name.kind !== 'DNS') return false;
    if (!grant.wildcard) return name.name === grant.name;
    const dot = name.name.indexOf('.');
    return dot > 0 && name.name.slice(dot + 1) === grant.name;
  }
  return name.bytes.length === grant.bytes.length && sameBits(name.bytes, grant.bytes, grant.prefix);
}

function checkDnsName(raw: string, bad: (why: string) => Error): string {
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(raw)) throw bad('is not ASCII: write an internationalized name as its A-labels (xn--…)');
  const name = raw.toLowerCase();
  if (name.endsWith('.')) throw bad('ends with a dot: write it without the trailing dot');
  if (name.length === 0 || name.length > MAX_DNS_LENGTH) throw bad(`must be 1-${MAX_DNS_LENGTH} characters`);
  const labels = name.split('.');
  if (!labels.every((l) => LABEL.test(l))) throw bad('is not a DNS name (labels of letters, digits and inner hyphens, at most 63 characters)');
  // "127.0.0.1" as a DNS name would pass for the address with lax clients.
  if (/^\d+$/.test(labels[labels.length - 1])) throw bad('ends in a numeric label: an IP address is asked for as IP:<address>');
  return name;
}

// ---- IP addresses -------------------------------------------------------------------------------

/** 4 bytes for dotted IPv4, 16 for IPv6 (with an optional dotted tail); undefined when malformed. */
export function parseIp(text: string): Uint8Array | undefined {
  if (text.includes('.') && !text.includes(':')) return parseIpv4(text);
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  /** The 16-bit groups of one side of `::`; a dotted IPv4 tail only at the very end. */
  const groups = (half: string, last: boolean): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (last && i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1], true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  // ::ffff:a.b.c.d is the IPv4 address in disguise: refused, so one address has one spelling.
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return undefined;
  return bytes;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  // No leading zeros: "010" is octal to some parsers.
  if (!parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return Uint8Array.from(parts.map(Number));
}

/** Dotted IPv4, or RFC 5952 IPv6 (lower case, the longest run of two or more zero groups as ::). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (best.at < 0) return hex(groups);
  return `${hex(groups.slice(0, best.at))}::${hex(groups.slice(best.at + best.len))}`;
}

function masked(bytes: Uint8Array, prefix: number): Uint8Array {
  return bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, prefix - 8 * i));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
}

function sameBits(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let i = 0; i < a.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i] & mask) !== (b[i] & mask)) return false;
  }
  return true;
}
