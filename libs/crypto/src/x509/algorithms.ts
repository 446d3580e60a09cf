/**
 * Key types and signature algorithms the PKI accepts. Keys: EC P-256/P-384 and RSA 2048–8192
 * (smaller RSA is weak; larger makes verification a denial-of-service lever). Signatures: ECDSA
 * and RSA PKCS#1 v1.5 with SHA-256/384/512; SHA-1, RSA-PSS, Ed25519 and others are refused.
 */
import { createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { childrenOf, contentOf, expectTag, readBitString, readOid, readRoot } from './der-reader';
import { NULL, TAG, oid, sequence } from './der-writer';
import { X509InputError, asInputError } from './errors';
import { OID } from './oids';

export type KeySpec = { type: 'ec'; curve?: 'P-256' | 'P-384' } | { type: 'rsa'; bits?: 2048 | 3072 | 4096 };
export type PublicKeyInfo = { type: 'ec'; curve: 'P-256' | 'P-384' } | { type: 'rsa'; bits: number };
export type HashName = 'sha256' | 'sha384' | 'sha512';

export const DEFAULT_KEY_SPEC: KeySpec = { type: 'ec', curve: 'P-256' };
export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 8192;

const CURVE_BY_NODE_NAME: Record<string, 'P-256' | 'P-384'> = { prime256v1: 'P-256', secp384r1: 'P-384' };

export function generateKeyPair(spec: KeySpec = DEFAULT_KEY_SPEC): { privateKey: KeyObject; publicKey: KeyObject } {
  if (spec.type === 'rsa') return generateKeyPairSync('rsa', { modulusLength: spec.bits ?? 2048 });
  return generateKeyPairSync('ec', { namedCurve: spec.curve ?? 'P-256' });
}

/** Classifies a public or private key; throws X509InputError for anything the PKI does not accept. */
export function describeKey(key: KeyObject): PublicKeyInfo {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const curve = CURVE_BY_NODE_NAME[details.namedCurve ?? ''];
    if (!curve) throw new X509InputError(`unsupported EC curve ${details.namedCurve ?? '(explicit parameters)'}; use P-256 or P-384`, 'unsupported-key');
    return { type: 'ec', curve };
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new X509InputError(`RSA key of ${bits} bits is too weak; at least ${MIN_RSA_BITS} bits are required`, 'weak-key');
    if (bits > MAX_RSA_BITS) throw new X509InputError(`RSA key of ${bits} bits is larger than the ${MAX_RSA_BITS} bits accepted`, 'unsupported-key');
    const e = details.publicExponent ?? 0n;
    if (e < 3n || e % 2n === 0n) throw new X509InputError(`RSA public exponent ${e} is not acceptable`, 'weak-key');
    return { type: 'rsa', bits };
  }
  throw new X509InputError(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}; use EC (P-256/P-384) or RSA`, 'unsupported-key');
}

/**
 * Public key from SubjectPublicKeyInfo DER, classified and checked. Common keys (named-curve EC
 * with an uncompressed point, RSA) are imported as JWK, which node:crypto does 2–30× faster than
 * OpenSSL 3's DER decoder; it still validates the point. Anything else takes the DER path.
 */
export function publicKeyFromSpki(spki: Buffer): { key: KeyObject; info: PublicKeyInfo } {
  const jwk = asInputError('cannot read the public key', () => spkiAsJwk(spki));
  const key = asInputError('cannot read the public key', () =>
    jwk ? createPublicKey({ key: jwk, format: 'jwk' }) : createPublicKey({ key: spki, format: 'der', type: 'spki' }),
  );
  return { key, info: describeKey(key) };
}

const JWK_CURVES: Record<string, { crv: string; size: number }> = {
  '1.2.840.10045.3.1.7': { crv: 'P-256', size: 32 },
  '1.3.132.0.34': { crv: 'P-384', size: 48 },
};

function spkiAsJwk(spki: Buffer): JsonWebKey | undefined {
  const [algorithm, keyBits, extra] = childrenOf(spki, expectTag(readRoot(spki), TAG.SEQUENCE, 'public key info'));
  if (extra) return undefined;
  const [algorithmOid, parameters] = childrenOf(spki, expectTag(algorithm, TAG.SEQUENCE, 'public key algorithm'));
  const { bytes, unusedBits } = readBitString(spki, keyBits, 'public key');
  if (unusedBits) return undefined;
  const b64 = (b: Buffer) => b.toString('base64url');
  const type = readOid(spki, algorithmOid);
  if (type === OID.ecPublicKey && parameters?.tag === TAG.OID) {
    const curve = JWK_CURVES[readOid(spki, parameters)];
    if (!curve || bytes.length !== 1 + 2 * curve.size || bytes[0] !== 4) return undefined;
    return { kty: 'EC', crv: curve.crv, x: b64(bytes.subarray(1, 1 + curve.size)), y: b64(bytes.subarray(1 + curve.size)) };
  }
  if (type === OID.rsaEncryption) {
    const [n, e, more] = childrenOf(bytes, expectTag(readRoot(bytes), TAG.SEQUENCE, 'RSA public key'));
    if (more) return undefined;
    const magnitude = (node: typeof n) => contentOf(bytes, expectTag(node, TAG.INTEGER, 'RSA integer')).subarray(bytes[node.contentStart] === 0 ? 1 : 0);
    return { kty: 'RSA', n: b64(magnitude(n)), e: b64(magnitude(e)) };
  }
  return undefined;
}

export interface SigningAlgorithm {
  hash: HashName;
  /** AlgorithmIdentifier DER, as written into certificates and CRLs. */
  identifier: Buffer;
}

/** How a CA key signs: ECDSA with the curve's hash, RSA with SHA-256 (PKCS#1 v1.5). */
export function signingAlgorithmFor(key: KeyObject): SigningAlgorithm {
  const info = describeKey(key);
  if (info.type === 'rsa') return { hash: 'sha256', identifier: sequence(oid(OID.sha256WithRsa), NULL) };
  return info.curve === 'P-384'
    ? { hash: 'sha384', identifier: sequence(oid(OID.ecdsaWithSha384)) }
    : { hash: 'sha256', identifier: sequence(oid(OID.ecdsaWithSha256)) };
}

const VERIFY_HASH: Record<string, { hash: HashName; keyType: 'ec' | 'rsa' }> = {
  [OID.ecdsaWithSha256]: { hash: 'sha256', keyType: 'ec' },
  [OID.ecdsaWithSha384]: { hash: 'sha384', keyType: 'ec' },
  [OID.ecdsaWithSha512]: { hash: 'sha512', keyType: 'ec' },
  [OID.sha256WithRsa]: { hash: 'sha256', keyType: 'rsa' },
  [OID.sha384WithRsa]: { hash: 'sha384', keyType: 'rsa' },
  [OID.sha512WithRsa]: { hash: 'sha512', keyType: 'rsa' },
};

const REFUSED_NAMES: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

/** The hash to verify a signature made with algorithm `oidText` by a key of type `keyType`. */
export function verificationHash(oidText: string, keyType: 'ec' | 'rsa'): HashName {
  const entry = VERIFY_HASH[oidText];
  if (!entry) {
    throw new X509InputError(`unsupported signature algorithm ${REFUSED_NAMES[oidText] ?? oidText}`, 'unsupported-algorithm');
  }
  if (entry.keyType !== keyType) throw new X509InputError(`signature algorithm ${oidText} does not match a ${keyType} key`, 'unsupported-algorithm');
  return entry.hash;
}
