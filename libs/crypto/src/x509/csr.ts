/**
 * PKCS#10 certificate requests (as written by `openssl req`), from untrusted input: size-bounded,
 * structurally checked, signature verified with the enclosed key, key strength enforced.
 * The requested SANs are reported for the caller to judge; issuance never copies them blindly.
 */
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { publicKeyFromSpki, verificationHash, type PublicKeyInfo } from './algorithms';
import { checkInputSize } from './certificate';
import { childrenOf, expectTag, readBitString, readOid, readRoot, readSmallInteger, wholeOf, type DerNode } from './der-reader';
import { TAG } from './der-writer';
import { X509InputError, asInputError } from './errors';
import { decodeExtensions } from './extensions';
import { decodeGeneralNames, emptyAltNames, type SubjectAltNames } from './general-names';
import { decodeName, type NameAttribute } from './names';
import { OID } from './oids';
import { derFromPemOrDer } from './pem';

export interface ParsedCsr {
  subject: NameAttribute[];
  publicKey: KeyObject;
  publicKeyInfo: PublicKeyInfo;
  signatureAlgorithm: string;
  /** SANs found in the request's extensionRequest attribute. */
  requestedAltNames: SubjectAltNames;
}

export function parseCsr(input: string | Buffer): ParsedCsr {
  if (typeof input !== 'string' && !Buffer.isBuffer(input)) throw new X509InputError('the CSR must be a PEM string or DER bytes');
  checkInputSize(input, 'CSR');
  const der = derFromPemOrDer(input, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], 'CSR');
  const [infoNode, algNode, sigNode, extra] = childrenOf(der, expectTag(readRoot(der), TAG.SEQUENCE, 'certification request'));
  if (extra) throw new X509InputError('the CSR has extra fields', 'malformed');
  const [versionNode, subjectNode, spkiNode, attributesNode, extraInfo] = childrenOf(der, expectTag(infoNode, TAG.SEQUENCE, 'request info'));
  if (extraInfo) throw new X509InputError('the CSR request info has extra fields', 'malformed');
  if (readSmallInteger(der, versionNode, 'CSR version') !== 0) throw new X509InputError('unsupported CSR version', 'malformed');

  const { key: publicKey, info: publicKeyInfo } = publicKeyFromSpki(Buffer.from(wholeOf(der, expectTag(spkiNode, TAG.SEQUENCE, 'public key info'))));
  const signatureAlgorithm = readOid(der, childrenOf(der, expectTag(algNode, TAG.SEQUENCE, 'signature algorithm'))[0]);
  const hash = verificationHash(signatureAlgorithm, publicKeyInfo.type);
  const signature = readBitString(der, sigNode, 'signature').bytes;
  const valid = asInputError('cannot verify the CSR signature', () => verifySignature(hash, wholeOf(der, infoNode), publicKey, signature));
  if (!valid) throw new X509InputError('the CSR signature does not verify', 'bad-signature');

  return {
    subject: decodeName(der, subjectNode),
    publicKey,
    publicKeyInfo,
    signatureAlgorithm,
    requestedAltNames: attributesNode ? requestedAltNames(der, expectTag(attributesNode, 0xa0, 'attributes')) : emptyAltNames(),
  };
}

/** SANs from the extensionRequest attribute, if any. */
function requestedAltNames(der: Buffer, attributes: DerNode): SubjectAltNames {
  for (const attribute of childrenOf(der, attributes)) {
    const [typeNode, valuesNode] = childrenOf(der, expectTag(attribute, TAG.SEQUENCE, 'attribute'));
    if (readOid(der, typeNode) !== OID.extensionRequest) continue;
    const [extensionsNode] = childrenOf(der, expectTag(valuesNode, TAG.SET, 'attribute values'));
    const san = decodeExtensions(der, extensionsNode ?? valuesNode).find((e) => e.oid === OID.subjectAltName);
    if (san) return decodeGeneralNames(san.value, readRoot(san.value));
  }
  return emptyAltNames();
}
