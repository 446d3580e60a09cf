/** GeneralNames (RFC 5280 §4.2.1.6) for subjectAltName: the URI, DNS, IP and e-mail choices. */
import { childrenOf, contentOf, expectTag, type DerNode } from './der-reader';
import { TAG, implicitPrimitive, sequence } from './der-writer';
import { ipToOctets, octetsToIp } from './ip-address';

export interface SubjectAltNames {
  uris: string[];
  dnsNames: string[];
  ipAddresses: string[];
  emails: string[];
}

const CHOICE = { rfc822Name: 1, dNSName: 2, uniformResourceIdentifier: 6, iPAddress: 7 } as const;

export const emptyAltNames = (): SubjectAltNames => ({ uris: [], dnsNames: [], ipAddresses: [], emails: [] });

export function encodeGeneralNames(names: Partial<SubjectAltNames>): Buffer {
  const ascii = (s: string) => Buffer.from(s, 'latin1');
  return sequence(
    ...(names.uris ?? []).map((u) => implicitPrimitive(CHOICE.uniformResourceIdentifier, ascii(u))),
    ...(names.dnsNames ?? []).map((d) => implicitPrimitive(CHOICE.dNSName, ascii(d))),
    ...(names.ipAddresses ?? []).map((ip) => implicitPrimitive(CHOICE.iPAddress, ipToOctets(ip))),
    ...(names.emails ?? []).map((e) => implicitPrimitive(CHOICE.rfc822Name, ascii(e))),
  );
}

/** Reads the choices we use; other choices (directoryName, otherName, …) are skipped. */
export function decodeGeneralNames(buf: Buffer, node: DerNode): SubjectAltNames {
  const out = emptyAltNames();
  for (const name of childrenOf(buf, expectTag(node, TAG.SEQUENCE, 'general names'))) {
    const value = contentOf(buf, name);
    switch (name.tag) {
      case 0x80 | CHOICE.uniformResourceIdentifier:
        out.uris.push(value.toString('latin1'));
        break;
      case 0x80 | CHOICE.dNSName:
        out.dnsNames.push(value.toString('latin1'));
        break;
      case 0x80 | CHOICE.iPAddress:
        out.ipAddresses.push(octetsToIp(value));
        break;
      case 0x80 | CHOICE.rfc822Name:
        out.emails.push(value.toString('latin1'));
        break;
    }
  }
  return out;
}
