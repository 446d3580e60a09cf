/**
 * Password-protected PKCS#12 (RFC 7292) for any key type node:crypto handles — EC and RSA alike
 * (node-forge only does RSA). Layout, as current OpenSSL writes it:
 * - the private key in a pkcs8ShroudedKeyBag: node:crypto's encrypted PKCS#8 export, i.e.
 *   PBES2 / PBKDF2-HMAC-SHA256 / AES-256-CBC;
 * - the leaf and chain certificates in plain certBags (certificates are public);
 * - leaf and key paired by the localKeyId attribute (SHA-1 of the leaf DER) and a friendlyName;
 * - integrity: HMAC-SHA256 over the AuthenticatedSafe, keyed by the PKCS#12 KDF (RFC 7292 App. B).
 */
import { createHash, createHmac, randomBytes, type KeyObject } from 'node:crypto';
import { NULL, bmpString, explicit, octetString, oid, sequence, set, smallInteger } from './der-writer';
import { X509InputError } from './errors';
import { OID } from './oids';
import { derFromPemOrDer, pemBlocks } from './pem';

export interface Pkcs12Options {
  privateKey: KeyObject;
  /** The leaf certificate, PEM or DER. */
  certificate: string | Buffer;
  /** Issuer certificates (PEM text with one or more blocks, or DER list), nearest first. */
  chain?: string | Buffer[];
  password: string;
  friendlyName?: string;
  /** MAC key derivation iterations. */
  macIterations?: number;
}

export const MIN_PKCS12_PASSWORD_LENGTH = 4;
const MAC_SALT_BYTES = 16;

export function buildPkcs12(options: Pkcs12Options): Buffer {
  const { password } = options;
  if (typeof password !== 'string' || password.length < MIN_PKCS12_PASSWORD_LENGTH) {
    throw new X509InputError(`the PKCS#12 password must have at least ${MIN_PKCS12_PASSWORD_LENGTH} characters`);
  }
  const leaf = derFromPemOrDer(options.certificate, ['CERTIFICATE'], 'certificate');
  const chain = typeof options.chain === 'string' ? pemBlocks(options.chain).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der) : (options.chain ?? []);
  const leafAttributes = bagAttributes(createHash('sha1').update(leaf).digest(), options.friendlyName);

  const shroudedKey = options.privateKey.export({ format: 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: password });
  const certificates = [certBag(leaf, leafAttributes), ...chain.map((c) => certBag(c))];
  const authenticatedSafe = sequence(dataContentInfo(sequence(...certificates)), dataContentInfo(sequence(safeBag(OID.pkcs8ShroudedKeyBag, shroudedKey, leafAttributes))));

  const iterations = options.macIterations ?? 2048;
  const salt = randomBytes(MAC_SALT_BYTES);
  const mac = createHmac('sha256', pkcs12MacKey(password, salt, iterations)).update(authenticatedSafe).digest();
  const macData = sequence(sequence(sequence(oid(OID.sha256), NULL), octetString(mac)), octetString(salt), smallInteger(iterations));
  return sequence(smallInteger(3), dataContentInfo(authenticatedSafe), macData);
}

const dataContentInfo = (content: Buffer): Buffer => sequence(oid(OID.pkcs7Data), explicit(0, octetString(content)));

const safeBag = (bagType: string, value: Buffer, attributes?: Buffer): Buffer =>
  sequence(oid(bagType), explicit(0, value), ...(attributes ? [attributes] : []));

const certBag = (der: Buffer, attributes?: Buffer): Buffer =>
  safeBag(OID.certBag, sequence(oid(OID.x509CertificateBag), explicit(0, octetString(der))), attributes);

function bagAttributes(localKeyId: Buffer, friendlyName?: string): Buffer {
  const attributes = [sequence(oid(OID.localKeyId), set(octetString(localKeyId)))];
  if (friendlyName) attributes.push(sequence(oid(OID.friendlyName), set(bmpString(friendlyName))));
  return set(...attributes);
}

/**
 * RFC 7292 Appendix B.2 with SHA-256 (u = 32, v = 64) and ID 3 (MAC key). A 32-byte key needs
 * a single round, so the I-block update step of the general algorithm never runs.
 */
export function pkcs12MacKey(password: string, salt: Buffer, iterations: number): Buffer {
  const v = 64;
  const fill = (src: Buffer) => {
    if (src.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length];
    return out;
  };
  const passwordBytes = Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]);
  let a = Buffer.concat([Buffer.alloc(v, 3), fill(salt), fill(passwordBytes)]);
  for (let i = 0; i < iterations; i++) a = createHash('sha256').update(a).digest();
  return a;
}
