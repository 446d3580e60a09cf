import { generateSigningKey, issueCredentialSync, keyId, type VerificationKey } from '@am/crypto';
import { UnauthenticatedError } from '@am/model';
import { EdgeCredentialCheck } from './edge-credentials';

const NOW = 1_750_000_000;
const key = generateSigningKey(NOW + 6 * 3600);
const other = generateSigningKey(NOW + 7 * 3600);
const published = new Map<number, VerificationKey>([[key.expiry, key]]);
const directory = { get: (expiry: number) => published.get(expiry), all: () => [...published.values()] };
const issue = (kind: 'login' | 'delegation', lifetimeSec = 600, signer = key) =>
  issueCredentialSync({ key: signer, principal: 'am://user/alice', kind, lifetimeSec, now: NOW, ...(kind === 'delegation' ? { roles: [] } : {}) });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('EdgeCredentialCheck (the gateway refusing bad JWTs before any service is asked)', () => {
  let now = NOW * 1000;
  const edge = new EdgeCredentialCheck(directory, () => now);
  beforeEach(() => (now = NOW * 1000));

  it('lets a good login credential through', () => {
    expect(() => edge.check(issue('login'))).not.toThrow();
  });

  it('refuses tampered, unsigned, expired and delegation credentials as unauthenticated, with the reason', () => {
    const good = issue('login');
    const [header, payload, signature] = good.split('.');
    const tampered = `${header}.${b64({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), id: 'am://user/root' })}.${signature}`;
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    const cases: [string, RegExp][] = [
      [tampered, /verification error/],
      [unsigned, /./],
      [issue('delegation'), /not a login credential/],
    ];
    for (const [token, reason] of cases) {
      expect(() => edge.check(token)).toThrow(UnauthenticatedError);
      expect(() => edge.check(token)).toThrow(reason);
    }
    const shortLived = issue('login', 60);
    edge.check(shortLived); // cached while good...
    now += 61_000;
    expect(() => edge.check(shortLived)).toThrow(/token is expired/); // ...and refused once expired, cache or not
  });

  it('leaves to the service what it cannot judge: a key newer than any it has seen, demonstration identities, certificates', () => {
    expect(() => edge.check(issue('login', 600, other))).not.toThrow();
    expect(() => edge.check('am://user/alice')).not.toThrow();
    expect(() => edge.check('x509:MIIB')).not.toThrow();
  });

  it('refuses a token naming a key that cannot be a newer one: expired, or older than the newest it knows', () => {
    const [header, payload, signature] = issue('login', 600, other).split('.');
    const naming = (expiry: number) => `${b64({ ...JSON.parse(Buffer.from(header, 'base64url').toString()), kid: keyId(expiry) })}.${b64({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), key: expiry })}.${signature}`;
    for (const expiry of [1, NOW - 100, key.expiry - 3600]) expect(() => edge.check(naming(expiry))).toThrow('key not found');
    expect(() => edge.check(naming(key.expiry + 3600))).not.toThrow();
  });
});
