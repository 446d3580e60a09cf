import { generateSigningKey, issueCredential, keyId, type SigningKey } from '@am/crypto';
import { createHmac, sign } from 'node:crypto';

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A compact JWS with any header and claims, ES256-signed by `key`: the tool for forging. */
export function signRaw(header: Record<string, unknown>, claims: Record<string, unknown>, key: SigningKey): string {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/** The hostile credentials every verifier must refuse (issue 6), by name. */
export const HOSTILE_CREDENTIAL_CASES = [
  'alg none',
  'HS256 signed with the public key',
  'expired',
  'not yet valid',
  'unknown kid',
  'wrong issuer',
  'wrong audience',
  'tampered payload',
  'truncated',
  'a delegation credential used as a login',
] as const;
export type HostileCredentialCase = (typeof HOSTILE_CREDENTIAL_CASES)[number];

export interface HostileCredential {
  token: string;
  /** What the verifier says when it refuses it (each case fails for its own reason only). */
  reason: RegExp;
}

/**
 * A login credential for `principal`, correctly signed by `key` (one of the deployment's signing
 * keys), and the hostile variants of it that every verifier must refuse. The well-formed one is
 * the control: it passes, so each variant fails for what was changed in it alone.
 */
export async function hostileCredentials(key: SigningKey, principal: string): Promise<{ wellFormed: string; hostile: Record<HostileCredentialCase, HostileCredential> }> {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'ES256', typ: 'JWT', kid: keyId(key.expiry) };
  const claims = { iss: 'access-manager', sub: 'id', aud: ['access-manager'], iat: now, nbf: now - 300, exp: now + 600, key: key.expiry, id: principal, roles: null, typ: 'login' };
  const wellFormed = signRaw(header, claims, key);
  const [signedHeader, , signature] = wellFormed.split('.');
  const hs256 = `${b64url({ ...header, alg: 'HS256' })}.${b64url(claims)}`;
  const hostile: Record<HostileCredentialCase, HostileCredential> = {
    // A junk signature, not an empty one: an empty one is refused earlier, as not a JWT at all.
    'alg none': { token: `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.${b64url('x')}`, reason: /signing method none is invalid/ },
    'HS256 signed with the public key': {
      token: `${hs256}.${createHmac('sha256', key.publicKey.export({ format: 'pem', type: 'spki' })).update(hs256).digest('base64url')}`,
      reason: /signing method HS256 is invalid/,
    },
    expired: { token: signRaw(header, { ...claims, iat: now - 4000, nbf: now - 4300, exp: now - 400 }, key), reason: /token is expired/ },
    'not yet valid': { token: signRaw(header, { ...claims, iat: now + 30, nbf: now + 900, exp: now + 1800 }, key), reason: /not valid yet/ },
    'unknown kid': {
      token: await issueCredential({ key: generateSigningKey(now + 7200), principal, kind: 'login', lifetimeSec: 600, now }),
      reason: /key not found/,
    },
    'wrong issuer': { token: signRaw(header, { ...claims, iss: 'evil' }, key), reason: /invalid issuer/ },
    'wrong audience': { token: signRaw(header, { ...claims, aud: ['somebody-else'] }, key), reason: /invalid audience/ },
    'tampered payload': { token: `${signedHeader}.${b64url({ ...claims, id: `${principal}-x` })}.${signature}`, reason: /verification error/ },
    truncated: { token: wellFormed.slice(0, -6), reason: /verification error/ },
    'a delegation credential used as a login': {
      token: await issueCredential({ key, principal, kind: 'delegation', roles: [], lifetimeSec: 600, now }),
      reason: /delegation credential is not a login credential/,
    },
  };
  return { wellFormed, hostile };
}
