import { SignJWT, decodeProtectedHeader } from 'jose';
import { credentialInfo } from './display';
import { goDuration } from './errors';
import { credentialClaims, issueCredential, newCredentialId } from './issue';
import { generateSigningKey } from './signing-key';
import { verifyCredential } from './verify';

const NOW = 1_750_000_000;
const signingKey = generateSigningKey(NOW + 6 * 3600);
const keys = new Map([[signingKey.expiry, signingKey]]);
const login = (overrides: { principal?: string; now?: number } = {}) =>
  issueCredential({ key: signingKey, principal: 'am://user/yoyodyne/bob', kind: 'login', lifetimeSec: 1800, now: NOW, ...overrides });

describe('issueCredential', () => {
  it('writes the §8.3 header and claims, in the reference order', async () => {
    const token = await issueCredential({ key: signingKey, principal: 'am://user/yoyodyne/bob', kind: 'login', lifetimeSec: 1800, now: NOW, jti: 'j1' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'JWT', kid: String(signingKey.expiry) });
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(claims).toEqual({
      iss: 'access-manager',
      sub: 'id',
      aud: ['access-manager'],
      exp: NOW + 1800,
      nbf: NOW - 300,
      iat: NOW,
      key: signingKey.expiry,
      id: 'am://user/yoyodyne/bob',
      roles: null,
      typ: 'login',
      jti: 'j1',
    });
    expect(Object.keys(claims)).toEqual(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'key', 'id', 'roles', 'typ', 'jti']);
  });

  it('writes the dataset and non-empty delegation ACEs into delegation credentials only', async () => {
    const targetAce = { acls: [{ roles: ['am://role/a', 'am://role/b'] }] };
    const base = { key: signingKey, principal: 'am://user/yoyodyne/bob', lifetimeSec: 600, now: NOW } as const;
    const token = await issueCredential({ ...base, kind: 'delegation', roles: ['am://role/r'], dataset: 'am://data/d', targetAce, heritableAce: { acls: [] } });
    const { claims } = verifyCredential(token, { keys, now: NOW, accept: 'delegation' });
    expect(claims).toMatchObject({ dataset: 'am://data/d', target_ace: targetAce, roles: ['am://role/r'] });
    expect(claims).not.toHaveProperty('heritable_ace');
    await expect(issueCredential({ ...base, kind: 'login', targetAce })).rejects.toThrow(/login credentials carry no dataset or delegation ACEs/);
  });

  it('gives every credential its own random jti', async () => {
    const [a, b] = await Promise.all([login(), login()]);
    const jti = (t: string) => verifyCredential(t, { keys, now: NOW, accept: 'login' }).claims.jti;
    expect(jti(a)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(jti(a)).not.toBe(jti(b));
  });

  it('draws ids from the CSPRNG across pool refills, never repeating one', () => {
    const ids = Array.from({ length: 1000 }, () => newCredentialId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    // A wiped (all-zero) slice would show up as this id.
    expect(ids).not.toContain(Buffer.alloc(16).toString('base64url'));
  });

  it('refuses requests that would yield an unusable or mislabelled credential', () => {
    const base = { key: signingKey, principal: 'am://workload/w', kind: 'login' as const, lifetimeSec: 60, now: NOW };
    expect(() => credentialClaims({ ...base, principal: 'am://role/admin' })).toThrow('users and workloads only');
    expect(() => credentialClaims({ ...base, principal: 'am://user/' })).toThrow('users and workloads only');
    expect(() => credentialClaims({ ...base, roles: [] })).toThrow('no roles');
    expect(() => credentialClaims({ ...base, kind: 'delegation' })).toThrow('roles list');
    expect(() => credentialClaims({ ...base, lifetimeSec: 0 })).toThrow('lifetime');
    expect(() => credentialClaims({ ...base, lifetimeSec: 6 * 3600 + 1 })).toThrow('expires too soon');
  });
});

describe('verifyCredential: accepted credentials', () => {
  it('round-trips a login credential (surrounding whitespace trimmed)', async () => {
    const token = await login();
    const verified = verifyCredential(`  ${token}\n`, { keys, now: NOW, accept: 'login' });
    expect(verified.kind).toBe('login');
    expect(verified.key).toBe(signingKey);
    expect(verified.claims).toMatchObject({ id: 'am://user/yoyodyne/bob', roles: null, exp: NOW + 1800, key: signingKey.expiry });
  });

  it('round-trips a delegation credential, which login-only verification refuses', async () => {
    const roles = ['am://role/org/daos/raw', 'am://role/org/daos/ref'];
    const token = await issueCredential({ key: signingKey, principal: 'am://workload/db', kind: 'delegation', roles, lifetimeSec: 1800, now: NOW });
    expect(verifyCredential(token, { keys, now: NOW, accept: 'delegation' }).claims.roles).toEqual(roles);
    expect(verifyCredential(token, { keys, now: NOW, accept: 'any' }).kind).toBe('delegation');
    expect(() => verifyCredential(token, { keys, now: NOW, accept: 'login' })).toThrow('delegation credential is not a login credential');
  });

  it('accepts the edges of the time window: iat = now + 60 s, exp = now + 1', async () => {
    // Our nbf (iat − 300) never binds: the 60 s iat allowance is the tighter bound for our own tokens.
    const token = await login();
    for (const now of [NOW - 60, NOW + 1799]) expect(verifyCredential(token, { keys, now, accept: 'login' }).claims.iat).toBe(NOW);
  });

  it('accepts reference-style tokens: no kid, no typ, no jti; classified by roles', async () => {
    const referenceStyle = (roles: string[] | null) =>
      new SignJWT({ iss: 'access-manager', sub: 'id', aud: ['access-manager'], exp: NOW + 60, nbf: NOW - 300, iat: NOW, key: signingKey.expiry, id: 'am://user/x', roles })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
        .sign(signingKey.privateKey);
    expect(verifyCredential(await referenceStyle(null), { keys, now: NOW, accept: 'login' }).kind).toBe('login');
    const delegation = await referenceStyle([]);
    expect(verifyCredential(delegation, { keys, now: NOW, accept: 'any' }).kind).toBe('delegation');
    expect(() => verifyCredential(delegation, { keys, now: NOW, accept: 'login' })).toThrow('not a login credential');
  });

  it('accepts a kid without a key claim, and a single-string aud (RFC 7519)', async () => {
    const token = await new SignJWT({ iss: 'access-manager', aud: 'access-manager', exp: NOW + 60, nbf: NOW, iat: NOW, id: 'am://workload/w', roles: null })
      .setProtectedHeader({ alg: 'ES256', kid: String(signingKey.expiry) })
      .sign(signingKey.privateKey);
    const { claims } = verifyCredential(token, { keys, now: NOW, accept: 'login' });
    expect(claims.key).toBe(signingKey.expiry);
    expect(claims.aud).toEqual(['access-manager']);
  });
});

describe('display', () => {
  it('shows the claims as 2-space indented JSON (compat-rest §4.9)', async () => {
    const { claims } = verifyCredential(await login(), { keys, now: NOW, accept: 'login' });
    const info = credentialInfo(claims);
    expect(info.split('\n').slice(0, 6)).toEqual(['{', '  "iss": "access-manager",', '  "sub": "id",', '  "aud": [', '    "access-manager"', '  ],']);
    expect(info).toContain('\n  "id": "am://user/yoyodyne/bob",\n  "roles": null,');
    expect(JSON.parse(info)).toEqual(claims);
  });

  it.each([
    [0, '0s'],
    [45, '45s'],
    [182, '3m2s'],
    [3605, '1h0m5s'],
    [90000, '25h0m0s'],
  ])('goDuration(%d) = %s', (seconds, text) => expect(goDuration(seconds)).toBe(text));
});
