import { createPrivateKey, createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { MasterKey } from '../master-key';
import { SigningKey, assertP256, keyId } from './signing-key';

/**
 * The stored form of a signing key (e.g. an etcd value). The private key is sealed with the
 * master key; the associated data is the record's storage identity, so a sealed key copied to
 * another record (another kid) does not open.
 */
export interface StoredSigningKey {
  kid: string;
  expiry: number;
  /** SPKI PEM: public, so verifiers and the publishing endpoints need no master key. */
  publicKeyPem: string;
  /** base64 of MasterKey.seal(PKCS#8 DER). */
  sealedPrivateKey: string;
}

const storedSigningKeySchema = z.object({
  kid: z.string(),
  expiry: z.number().int().positive(),
  publicKeyPem: z.string().startsWith('-----BEGIN PUBLIC KEY-----'),
  sealedPrivateKey: z.string().min(1),
});

export function signingKeyStorageId(kid: string): string {
  return `identity/signing-key/${kid}`;
}

export function sealSigningKey(key: SigningKey, masterKey: MasterKey, storageId = signingKeyStorageId(keyId(key.expiry))): StoredSigningKey {
  const pkcs8 = key.privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    kid: keyId(key.expiry),
    expiry: key.expiry,
    publicKeyPem: key.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    sealedPrivateKey: masterKey.seal(pkcs8, storageId).toString('base64'),
  };
}

/** Throws on a malformed record, a kid that is not its expiry, or a public key not matching the private one. */
export function openSigningKey(stored: unknown, masterKey: MasterKey, storageId?: string): SigningKey {
  const record = storedSigningKeySchema.parse(stored);
  if (record.kid !== keyId(record.expiry)) throw new Error(`signing key record ${record.kid} names expiry ${record.expiry}`);
  const pkcs8 = masterKey.open(Buffer.from(record.sealedPrivateKey, 'base64'), storageId ?? signingKeyStorageId(record.kid));
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  assertP256(privateKey);
  // The public half is stored in clear; derive it again so a swapped public key is noticed.
  const publicKey = createPublicKey(privateKey);
  if (!publicKey.equals(createPublicKey(record.publicKeyPem))) throw new Error(`signing key record ${record.kid}: public key does not match the private key`);
  return { expiry: record.expiry, privateKey, publicKey };
}
