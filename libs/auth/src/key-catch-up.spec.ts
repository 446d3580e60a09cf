import { generateSigningKey, InvalidCredentialError, issueCredential, verifyCredential, type VerificationKey } from '@am/crypto';
import { KeyCatchUp, mayBeNewerKey, verifyWithCatchUp } from './key-catch-up';

const NOW_MS = 1_750_000_000_000;
const nowSec = NOW_MS / 1000;

/** Keys held in memory; `read` publishes the ones "in etcd" and counts the reads. */
function keySet(known: number[], stored: number[]) {
  const keys = new Map<number, { expiry: number }>(known.map((e) => [e, { expiry: e }]));
  const state = { reads: 0, fail: false };
  const read = async () => {
    state.reads++;
    await new Promise((r) => setImmediate(r));
    if (state.fail) throw new Error('etcd unavailable');
    for (const e of stored) keys.set(e, { expiry: e });
  };
  const view = { get: (e: number) => keys.get(e), all: () => [...keys.values()] };
  return { view, read, state };
}

describe('mayBeNewerKey', () => {
  it('is true only for an unexpired key newer than every known one', () => {
    const known = [{ expiry: nowSec + 100 }, { expiry: nowSec + 200 }];
    expect(mayBeNewerKey(nowSec + 201, known, NOW_MS)).toBe(true);
    expect(mayBeNewerKey(nowSec + 200, known, NOW_MS)).toBe(false);
    expect(mayBeNewerKey(nowSec + 150, known, NOW_MS)).toBe(false);
    expect(mayBeNewerKey(nowSec - 1, [], NOW_MS)).toBe(false);
    expect(mayBeNewerKey(undefined, [], NOW_MS)).toBe(false);
  });
});

describe('KeyCatchUp', () => {
  let clock = NOW_MS;
  beforeEach(() => (clock = NOW_MS));

  it('reads again for a key newer than all known ones, once for concurrent callers', async () => {
    const { view, read, state } = keySet([nowSec + 100], [nowSec + 100, nowSec + 500]);
    const catchUp = new KeyCatchUp(view, read, () => clock);
    expect(await Promise.all([catchUp.catchUp(nowSec + 500), catchUp.catchUp(nowSec + 500), catchUp.catchUp(nowSec + 600)])).toEqual([true, true, false]);
    expect(state.reads).toBe(1);
    expect(await catchUp.catchUp(nowSec + 500)).toBe(true); // known now: no read
    expect(state.reads).toBe(1);
  });

  it('does not read for a known, expired or older key', async () => {
    const { view, read, state } = keySet([nowSec + 100, nowSec + 300], [nowSec + 200]);
    const catchUp = new KeyCatchUp(view, read, () => clock);
    expect(await catchUp.catchUp(nowSec + 100)).toBe(true);
    expect(await catchUp.catchUp(nowSec - 5)).toBe(false);
    expect(await catchUp.catchUp(nowSec + 200)).toBe(false); // older than a known key: never created after it
    expect(state.reads).toBe(0);
  });

  it('reads at most once a second, so made-up key ids cannot load etcd', async () => {
    const { view, read, state } = keySet([], [nowSec + 900]);
    const catchUp = new KeyCatchUp(view, read, () => clock);
    expect(await catchUp.catchUp(nowSec + 1000)).toBe(false);
    expect(await catchUp.catchUp(nowSec + 1001)).toBe(false);
    expect(state.reads).toBe(1);
    clock += 999;
    expect(await catchUp.catchUp(nowSec + 1002)).toBe(false);
    expect(state.reads).toBe(1);
    clock += 1;
    expect(await catchUp.catchUp(nowSec + 1003)).toBe(false);
    expect(state.reads).toBe(2);
  });

  it('stops waiting for a read that does not answer, so a stalled etcd holds nobody for long', async () => {
    jest.useFakeTimers();
    try {
      const { view } = keySet([], []);
      let reads = 0;
      const stalled = new KeyCatchUp(view, () => (reads++, new Promise(() => undefined)), () => clock);
      const pending = stalled.catchUp(nowSec + 500);
      await jest.advanceTimersByTimeAsync(2000);
      await expect(pending).resolves.toBe(false);
      clock += 1000;
      const next = stalled.catchUp(nowSec + 500); // the stalled read no longer blocks the next one
      await jest.advanceTimersByTimeAsync(2000);
      await expect(next).resolves.toBe(false);
      expect(reads).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('answers false, without throwing, when the read fails', async () => {
    const { view, read, state } = keySet([], [nowSec + 500]);
    state.fail = true;
    await expect(new KeyCatchUp(view, read, () => clock).catchUp(nowSec + 500)).resolves.toBe(false);
  });
});

describe('verifyWithCatchUp', () => {
  const key = generateSigningKey(nowSec + 3600);
  const token = () => issueCredential({ key, principal: 'am://user/alice', kind: 'login', lifetimeSec: 600, now: nowSec });

  it('verifies again after the keys caught up with a key they lacked', async () => {
    const keys = new Map<number, VerificationKey>();
    const catchUp = jest.fn(async (expiry: number) => {
      keys.set(expiry, key);
      return true;
    });
    const t = await token();
    const verified = await verifyWithCatchUp({ catchUp }, () => verifyCredential(t, { keys, now: nowSec, accept: 'login' }));
    expect(verified.claims.id).toBe('am://user/alice');
    expect(catchUp).toHaveBeenCalledWith(key.expiry);
  });

  it('refuses as before when the keys cannot catch up, and never catches up for other failures', async () => {
    const catchUp = jest.fn(async () => false);
    const t = await token();
    await expect(verifyWithCatchUp({ catchUp }, () => verifyCredential(t, { keys: new Map(), now: nowSec, accept: 'login' }))).rejects.toThrow(
      new InvalidCredentialError('key-not-found', 'key not found'),
    );
    const expired = () => verifyCredential(t, { keys: new Map([[key.expiry, key]]), now: nowSec + 7200, accept: 'login' });
    await expect(verifyWithCatchUp({ catchUp }, expired)).rejects.toThrow(InvalidCredentialError);
    expect(catchUp).toHaveBeenCalledTimes(1);
  });
});
