import { InvalidCredentialError } from './errors';
import { issueCredential } from './issue';
import { generateSigningKey, VerificationKey, verificationKeyFromPem } from './signing-key';
import { CachingCredentialVerifier } from './verification-cache';

const NOW = 1_750_000_000;
const signingKey = generateSigningKey(NOW + 6 * 3600);
const keyMap = (...keys: VerificationKey[]) => new Map(keys.map((k) => [k.expiry, k]));
const issue = (principal = 'am://user/alice', lifetimeSec = 600) =>
  issueCredential({ key: signingKey, principal, kind: 'login', lifetimeSec, now: NOW });

describe('CachingCredentialVerifier', () => {
  it('verifies once, then answers from the cache (also for the same token with a trailing newline)', async () => {
    const cache = new CachingCredentialVerifier();
    const token = await issue();
    const keys = keyMap(signingKey);
    const first = cache.verify(token, { keys, now: NOW, accept: 'login' });
    expect(cache.verify(`${token}\n`, { keys, now: NOW + 10, accept: 'login' })).toBe(first);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
    expect(Object.isFrozen(first.claims)).toBe(true);
  });

  it('evicts an entry at exp (injected clock): the hit turns into the normal "token is expired"', async () => {
    const cache = new CachingCredentialVerifier();
    const token = await issue('am://user/alice', 600);
    const keys = keyMap(signingKey);
    cache.verify(token, { keys, now: NOW, accept: 'login' });
    expect(cache.verify(token, { keys, now: NOW + 599, accept: 'login' }).claims.exp).toBe(NOW + 600);
    expect(() => cache.verify(token, { keys, now: NOW + 600, accept: 'login' })).toThrow('token is expired by 0s');
    expect(cache.size).toBe(0);
  });

  it('prune drops exactly the expired entries', async () => {
    const cache = new CachingCredentialVerifier();
    const keys = keyMap(signingKey);
    cache.verify(await issue('am://user/short', 60), { keys, now: NOW, accept: 'login' });
    cache.verify(await issue('am://user/long', 600), { keys, now: NOW, accept: 'login' });
    expect(cache.prune(NOW + 59)).toBe(0);
    expect(cache.prune(NOW + 60)).toBe(1);
    expect(cache.size).toBe(1);
  });

  it('respects key removal and key replacement on a hit', async () => {
    const cache = new CachingCredentialVerifier();
    const token = await issue();
    cache.verify(token, { keys: keyMap(signingKey), now: NOW, accept: 'login' });
    expect(() => cache.verify(token, { keys: keyMap(), now: NOW, accept: 'login' })).toThrow('key not found');
    // An equal key rebuilt from the published PEM still hits; a different key under the same kid does not.
    cache.verify(token, { keys: keyMap(signingKey), now: NOW, accept: 'login' });
    const republished = verificationKeyFromPem(signingKey.expiry, signingKey.publicKey.export({ format: 'pem', type: 'spki' }).toString());
    const misses = cache.misses;
    cache.verify(token, { keys: keyMap(republished), now: NOW, accept: 'login' });
    expect(cache.misses).toBe(misses);
    const impostor = { expiry: signingKey.expiry, publicKey: generateSigningKey(signingKey.expiry).publicKey };
    expect(() => cache.verify(token, { keys: keyMap(impostor), now: NOW, accept: 'login' })).toThrow('crypto/ecdsa: verification error');
  });

  it('still refuses a cached delegation credential used as login', async () => {
    const cache = new CachingCredentialVerifier();
    const token = await issueCredential({ key: signingKey, principal: 'am://user/a', kind: 'delegation', roles: [], lifetimeSec: 60, now: NOW });
    const keys = keyMap(signingKey);
    cache.verify(token, { keys, now: NOW, accept: 'delegation' });
    expect(() => cache.verify(token, { keys, now: NOW, accept: 'login' })).toThrow(InvalidCredentialError);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it('answers a hit on a recently placed entry without writing to its map (no garbage for the old generation)', async () => {
    const cache = new CachingCredentialVerifier({ maxEntries: 100 });
    const keys = keyMap(signingKey);
    const tokens = await Promise.all(['am://user/a', 'am://user/b'].map((p) => issue(p)));
    for (const t of tokens) cache.verify(t, { keys, now: NOW, accept: 'login' });
    const sets = jest.spyOn(Map.prototype, 'set');
    const deletes = jest.spyOn(Map.prototype, 'delete');
    try {
      for (let i = 0; i < 1000; i++) cache.verify(tokens[i % 2], { keys, now: NOW, accept: 'login' });
      expect([sets.mock.calls.length, deletes.mock.calls.length]).toEqual([0, 0]);
    } finally {
      sets.mockRestore();
      deletes.mockRestore();
    }
    expect(cache.hits).toBe(1000);
  });

  it('is bounded: the least recently used entry goes first (an entry in the older half moves back when hit); refusals are not cached', async () => {
    const cache = new CachingCredentialVerifier({ maxEntries: 2 });
    const keys = keyMap(signingKey);
    const [a, b, c] = await Promise.all(['am://user/a', 'am://user/b', 'am://user/c'].map((p) => issue(p)));
    for (const t of [a, b, a, c]) cache.verify(t, { keys, now: NOW, accept: 'login' }); // b is least recent when c arrives
    expect(cache.size).toBe(2);
    expect(cache.misses).toBe(3);
    cache.verify(a, { keys, now: NOW, accept: 'login' });
    cache.verify(c, { keys, now: NOW, accept: 'login' });
    expect(cache.misses).toBe(3);
    cache.verify(b, { keys, now: NOW, accept: 'login' });
    expect(cache.misses).toBe(4);
    expect(() => cache.verify('garbage', { keys, now: NOW, accept: 'login' })).toThrow(InvalidCredentialError);
    expect(() => cache.verify('x'.repeat(10_000), { keys, now: NOW, accept: 'login' })).toThrow('longer than');
    expect(cache.size).toBe(2);
    expect(() => new CachingCredentialVerifier({ maxEntries: 0 })).toThrow('positive');
  });
});
