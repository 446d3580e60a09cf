import { JsonWebKey } from 'node:crypto';
import { CREDENTIAL_ALGORITHM } from './claims';
import { VerificationKey, keyId } from './signing-key';

export interface PublishedJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

/** Oldest first, so both documents list keys in a stable order. */
function byExpiry(keys: Iterable<VerificationKey>): VerificationKey[] {
  return [...keys].sort((a, b) => a.expiry - b.expiry);
}

/** The compat `/signingkeys` document: expiry (decimal string) → SPKI PEM "PUBLIC KEY". */
export function publicKeysMap(keys: Iterable<VerificationKey>): Record<string, string> {
  const map: Record<string, string> = {};
  for (const key of byExpiry(keys)) map[keyId(key.expiry)] = key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  return map;
}

/** `/.well-known/jwks.json`; `kid` is the expiry as a string, as in the credentials' header. */
export function jwks(keys: Iterable<VerificationKey>): { keys: PublishedJwk[] } {
  return {
    keys: byExpiry(keys).map((key) => {
      const { x, y } = key.publicKey.export({ format: 'jwk' }) as JsonWebKey & { x: string; y: string };
      return { kty: 'EC', crv: 'P-256', x, y, kid: keyId(key.expiry), alg: CREDENTIAL_ALGORITHM, use: 'sig' };
    }),
  };
}
