/** Distinguished names: building them for our CAs and leaves, reading them from parsed input. */
import { childrenOf, expectTag, readOid, readString, type DerNode } from './der-reader';
import { TAG, oid, sequence, set, tlv, utf8String } from './der-writer';
import { OID } from './oids';

export interface NameAttribute {
  /** Short name when known (CN, O, OU, C, UID, serialNumber, emailAddress), else the dotted OID. */
  type: string;
  value: string;
}

const SHORT_NAMES: Record<string, string> = {
  [OID.commonName]: 'CN',
  [OID.organization]: 'O',
  [OID.organizationalUnit]: 'OU',
  [OID.country]: 'C',
  [OID.userId]: 'UID',
  [OID.serialNumber]: 'serialNumber',
  [OID.emailAddress]: 'emailAddress',
};
const OID_BY_SHORT_NAME = Object.fromEntries(Object.entries(SHORT_NAMES).map(([k, v]) => [v, k]));

/** Name DER, one attribute per RDN in the given order; C uses PrintableString, others UTF8String. */
export function encodeName(attributes: readonly NameAttribute[]): Buffer {
  return sequence(
    ...attributes.map(({ type, value }) => {
      const dotted = OID_BY_SHORT_NAME[type] ?? type;
      const encoded = dotted === OID.country ? tlv(TAG.PRINTABLE_STRING, Buffer.from(value, 'latin1')) : utf8String(value);
      return set(sequence(oid(dotted), encoded));
    }),
  );
}

export function decodeName(buf: Buffer, nameNode: DerNode): NameAttribute[] {
  expectTag(nameNode, TAG.SEQUENCE, 'name');
  const out: NameAttribute[] = [];
  for (const rdn of childrenOf(buf, nameNode)) {
    expectTag(rdn, TAG.SET, 'relative distinguished name');
    for (const atv of childrenOf(buf, rdn)) {
      const [typeNode, valueNode] = childrenOf(buf, expectTag(atv, TAG.SEQUENCE, 'name attribute'));
      const dotted = readOid(buf, typeNode);
      out.push({ type: SHORT_NAMES[dotted] ?? dotted, value: readString(buf, expectTag(valueNode, valueNode?.tag ?? -1, 'name value')) });
    }
  }
  return out;
}

/** One-line form for messages, e.g. "CN=x, O=y". */
export const formatName = (attributes: readonly NameAttribute[]): string => attributes.map((a) => `${a.type}=${a.value}`).join(', ');
