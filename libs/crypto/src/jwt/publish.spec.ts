import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, importSPKI, jwtVerify } from 'jose';
import { issueCredential } from './issue';
import { jwks, publicKeysMap } from './publish';
import { generateSigningKey, verificationKeyFromPem } from './signing-key';
import { verifyCredential } from './verify';

const NOW = 1_750_000_000;
const newer = generateSigningKey(NOW + 6 * 3600);
const older = generateSigningKey(NOW + 3600);

describe('publishing the public keys', () => {
  it('publicKeysMap: expiry as decimal string → SPKI PEM, oldest first, no private material', () => {
    const map = publicKeysMap([newer, older]);
    expect(Object.keys(map)).toEqual([String(older.expiry), String(newer.expiry)]);
    expect(map[String(newer.expiry)]).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    expect(JSON.stringify(map)).not.toContain('PRIVATE');
  });

  it('a verifier built from the published map accepts the credentials', async () => {
    const token = await issueCredential({ key: newer, principal: 'am://user/alice', kind: 'login', lifetimeSec: 3600, now: NOW });
    const published = Object.entries(publicKeysMap([newer, older])).map(([kid, pem]) => verificationKeyFromPem(Number(kid), pem));
    const keys = new Map(published.map((k) => [k.expiry, k]));
    expect(verifyCredential(token, { keys, now: NOW, accept: 'login' }).claims.id).toBe('am://user/alice');
    expect((await jwtVerify(token, await importSPKI(publicKeysMap([newer])[String(newer.expiry)], 'ES256'), { currentDate: new Date(NOW * 1000) })).payload.id).toBe('am://user/alice');
  });

  it('refuses to publish a key that is not P-256', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(() => verificationKeyFromPem(NOW, rsa)).toThrow('P-256');
  });

  it('jwks: EC P-256 keys with kid = expiry, alg ES256, use sig', () => {
    const { keys } = jwks([newer, older]);
    expect(keys.map((k) => k.kid)).toEqual([String(older.expiry), String(newer.expiry)]);
    for (const k of keys) {
      expect(Object.keys(k).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(Buffer.from(k.x, 'base64url')).toHaveLength(32);
    }
  });

  it('cross-check: jose verifies our credentials with the JWKS (createLocalJWKSet picks the key by kid)', async () => {
    const keySet = createLocalJWKSet(jwks([newer, older]));
    const options = { issuer: 'access-manager', audience: 'access-manager', algorithms: ['ES256'], currentDate: new Date(NOW * 1000) };
    for (const key of [older, newer]) {
      const token = await issueCredential({ key, principal: 'am://workload/w', kind: 'delegation', roles: ['am://role/r'], lifetimeSec: 1800, now: NOW });
      const { payload, protectedHeader } = await jwtVerify(token, keySet, options);
      expect(protectedHeader.kid).toBe(String(key.expiry));
      expect(payload).toMatchObject({ id: 'am://workload/w', roles: ['am://role/r'], key: key.expiry, typ: 'delegation' });
    }
    // Without the signing key in the set, jose refuses as well.
    const onlyNewer = createLocalJWKSet(jwks([newer]));
    const byOlder = await issueCredential({ key: older, principal: 'am://user/a', kind: 'login', lifetimeSec: 60, now: NOW });
    await expect(jwtVerify(byOlder, onlyNewer, options)).rejects.toThrow();
  });
});
