/**
 * Key types and signature algorithms the PKI accepts. Keys: EC P-256/P-384 and RSA 2048–8192
 * (smaller RSA is weak; larger makes verification a denial-of-service lever). Signatures: ECDSA
 * and RSA PKCS#1 v1.5 with SHA-256/384/512; SHA-1, RSA-PSS, Ed25519 and others are refused.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { NULL, oid, sequence } from './der-writer';
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

/** Public key from SubjectPublicKeyInfo DER, classified and checked. */
export function publicKeyFromSpki(spki: Buffer): { key: KeyObject; info: PublicKeyInfo } {
  const key = asInputError('cannot read the public key', () => createPublicKey({ key: spki, format: 'der', type: 'spki' }));
  return { key, info: describeKey(key) };
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
