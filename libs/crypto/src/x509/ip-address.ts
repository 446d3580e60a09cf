/** IP addresses as the 4 or 16 octets of a GeneralName iPAddress, and back to text. */
import { isIPv4, isIPv6 } from 'node:net';
import { X509InputError } from './errors';

const ipv4Octets = (text: string): number[] => text.split('.').map(Number);

export function ipToOctets(text: string): Buffer {
  if (isIPv4(text)) return Buffer.from(ipv4Octets(text));
  if (!isIPv6(text)) throw new X509InputError(`not an IP address: ${JSON.stringify(text)}`);
  const lower = text.toLowerCase().replace(/%.*$/, '');
  // An embedded IPv4 tail ("::ffff:1.2.3.4") becomes two hex groups.
  const withoutV4 = lower.replace(/(\d+\.\d+\.\d+\.\d+)$/, (v4) => {
    const [a, b, c, d] = ipv4Octets(v4);
    return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  });
  const [head, tail] = withoutV4.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail === undefined ? [] : tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Dotted IPv4, or IPv6 as eight lowercase hex groups without compression (stable for comparison). */
export function octetsToIp(octets: Buffer): string {
  if (octets.length === 4) return [...octets].join('.');
  if (octets.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(octets.readUInt16BE(i).toString(16));
    return groups.join(':');
  }
  throw new X509InputError(`an iPAddress name has ${octets.length} octets`, 'malformed');
}

/** Canonical text form of any accepted IP address (as `octetsToIp` would print it). */
export const canonicalIp = (text: string): string => octetsToIp(ipToOctets(text));
