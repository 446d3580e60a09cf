import { KeyObject, createPublicKey, generateKeyPairSync } from 'node:crypto';

/**
 * ES256 signing keys (ECDSA P-256). A key is identified by its expiry in Unix seconds
 * (access-model §8.7): the `key` claim holds it as a number, the `kid` header as a string.
 */
export interface VerificationKey {
  readonly expiry: number;
  readonly publicKey: KeyObject;
}

export interface SigningKey extends VerificationKey {
  readonly privateKey: KeyObject;
}

/** Anything that finds a key by its expiry; a `Map<number, VerificationKey>` qualifies. */
export interface VerificationKeyLookup {
  get(expiry: number): VerificationKey | undefined;
}

export const P256_CURVE = 'prime256v1';

export function keyId(expiry: number): string {
  return String(expiry);
}

/** The inverse of keyId: only canonical decimal seconds name a key ("007" or "1e9" do not). */
export function parseKeyId(kid: string): number | undefined {
  if (!/^[1-9][0-9]{0,15}$/.test(kid)) return undefined;
  const expiry = Number(kid);
  return Number.isSafeInteger(expiry) ? expiry : undefined;
}

export function generateSigningKey(expiry: number): SigningKey {
  assertExpiry(expiry);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: P256_CURVE });
  return { expiry, privateKey, publicKey };
}

/** A key published as SPKI PEM (the compat `/signingkeys` map), for services that only verify. */
export function verificationKeyFromPem(expiry: number, publicKeyPem: string): VerificationKey {
  assertExpiry(expiry);
  const publicKey = createPublicKey(publicKeyPem);
  assertP256(publicKey);
  return { expiry, publicKey };
}

export function assertP256(key: KeyObject): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== P256_CURVE) {
    throw new Error('signing keys must be ECDSA P-256 (ES256)');
  }
}

function assertExpiry(expiry: number): void {
  if (!Number.isSafeInteger(expiry) || expiry <= 0) throw new Error(`key expiry must be positive Unix seconds, got ${expiry}`);
}
