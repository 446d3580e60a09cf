import { issueCredential } from './issue';
import { selectSigningKey } from './rotation';
import { SigningKey, VerificationKey, generateSigningKey } from './signing-key';
import { verifyCredential } from './verify';

const NOW = 1_750_000_000;
const HOUR = 3600;
const key = (expiry: number) => ({ expiry });

describe('selectSigningKey (access-model §8.7)', () => {
  it.each([
    // [case, lifetime, existing key expiries, expected choice]
    ['no keys: a new key for the rotation period', HOUR, [], { action: 'create', expiry: NOW + 6 * HOUR }],
    ['a key outliving the credential by exactly 5 min is used', HOUR, [NOW + HOUR + 300], { action: 'use', expiry: NOW + HOUR + 300 }],
    ['one second short of the margin: a new key', HOUR, [NOW + HOUR + 299], { action: 'create', expiry: NOW + 6 * HOUR }],
    ['the qualifying key with the smallest expiry wins', 1800, [NOW + 5 * HOUR, NOW + 1800 + 400, NOW + 3 * HOUR, NOW + 100], { action: 'use', expiry: NOW + 1800 + 400 }],
    ['lifetime 5 h 55 min still fits a 6 h key', 5 * HOUR + 55 * 60, [], { action: 'create', expiry: NOW + 6 * HOUR }],
    ['lifetime 6 h: key lives L + 1 h 5 min', 6 * HOUR, [NOW + 6 * HOUR], { action: 'create', expiry: NOW + 6 * HOUR + HOUR + 300 }],
  ])('%s', (_case, lifetime, expiries, expected) => {
    const { choice } = selectSigningKey(expiries.map(key), lifetime, NOW);
    expect(choice.action === 'use' ? { action: 'use', expiry: choice.key.expiry } : choice).toEqual(expected);
  });

  it('uses the configured rotation period, falling back to L + 1 h 5 min when it is too short', () => {
    expect(selectSigningKey([], 1800, NOW, { rotationPeriodSec: 2 * HOUR }).choice).toEqual({ action: 'create', expiry: NOW + 2 * HOUR });
    expect(selectSigningKey([], HOUR, NOW, { rotationPeriodSec: HOUR }).choice).toEqual({ action: 'create', expiry: NOW + HOUR + HOUR + 300 });
  });

  it('drops keys expired more than 60 s ago and keeps (publishes) the rest, even if already expired', () => {
    const keys = [key(NOW - 61), key(NOW - 60), key(NOW - 1), key(NOW + 6 * HOUR)];
    const { retained, discarded } = selectSigningKey(keys, HOUR, NOW);
    expect(retained.map((k) => k.expiry)).toEqual([NOW - 60, NOW - 1, NOW + 6 * HOUR]);
    expect(discarded.map((k) => k.expiry)).toEqual([NOW - 61]);
  });

  it('refuses a non-positive lifetime or period', () => {
    expect(() => selectSigningKey([], 0, NOW)).toThrow('positive');
    expect(() => selectSigningKey([], HOUR, NOW, { rotationPeriodSec: -1 })).toThrow('positive');
  });

  it('over a simulated day, every credential key stays retained and unexpired until the credential expires', () => {
    const lifetimes = [1800, HOUR, 1800, 7 * HOUR]; // 7 h exceeds the 6 h period: the long-key branch
    let keys: { expiry: number }[] = [];
    let live: { exp: number; keyExpiry: number }[] = [];
    const signers = new Set<number>();
    const orphaned: string[] = [];
    for (let t = NOW, i = 0; t < NOW + 24 * HOUR; t += 97, i++) {
      const lifetime = lifetimes[i % lifetimes.length];
      const { retained, choice } = selectSigningKey(keys, lifetime, t);
      keys = retained;
      live = live.filter((c) => c.exp > t);
      for (const c of live) {
        if (!keys.some((k) => k.expiry === c.keyExpiry && k.expiry >= t)) orphaned.push(`t=${t} exp=${c.exp} key=${c.keyExpiry}`);
      }
      const signer = choice.action === 'use' ? choice.key : key(choice.expiry);
      if (choice.action === 'create') keys.push(signer);
      live.push({ exp: t + lifetime, keyExpiry: signer.expiry });
      signers.add(signer.expiry);
    }
    expect(orphaned).toEqual([]);
    expect(signers.size).toBeGreaterThan(4); // it did rotate
  });
});

describe('rotation with real keys', () => {
  /** The identity service's loop in miniature: select, create if told to, sign. */
  async function sign(keys: SigningKey[], now: number, lifetime: number) {
    const { retained, choice } = selectSigningKey(keys, lifetime, now);
    const signer = choice.action === 'use' ? choice.key : generateSigningKey(choice.expiry);
    const next = choice.action === 'create' ? [...retained, signer] : retained;
    const token = await issueCredential({ key: signer, principal: 'am://user/alice', kind: 'login', lifetimeSec: lifetime, now });
    return { keys: next, token, signer };
  }
  const lookup = (keys: VerificationKey[]) => new Map(keys.map((k) => [k.expiry, k]));

  it('a credential signed by the previous key stays valid until its exp; the key goes only afterwards', async () => {
    const first = await sign([], NOW, HOUR);
    // The first moment the old key no longer qualifies for a 1 h credential: a new key is made.
    const rotateAt = first.signer.expiry - HOUR - 300 + 1;
    const second = await sign(first.keys, rotateAt, HOUR);
    expect(second.signer.expiry).not.toBe(first.signer.expiry);
    expect(second.keys).toHaveLength(2);

    // The previous key's credential (issued at rotateAt - 1 with the full hour) is valid until its exp.
    const late = await sign(first.keys, rotateAt - 1, HOUR);
    expect(late.signer).toBe(first.signer);
    const lastExp = rotateAt - 1 + HOUR;
    const atLastMoment = await sign(second.keys, lastExp - 1, 1800);
    expect(verifyCredential(late.token, { keys: lookup(atLastMoment.keys), now: lastExp - 1, accept: 'login' }).claims.exp).toBe(lastExp);
    expect(() => verifyCredential(late.token, { keys: lookup(atLastMoment.keys), now: lastExp, accept: 'login' })).toThrow('token is expired by 0s');

    // Still published after its last credential expired, removed 60 s after its own expiry.
    const published = (now: number) => selectSigningKey(second.keys, 1800, now).retained.map((k) => k.expiry);
    expect(published(first.signer.expiry + 60)).toContain(first.signer.expiry);
    expect(published(first.signer.expiry + 61)).not.toContain(first.signer.expiry);
  });
});
