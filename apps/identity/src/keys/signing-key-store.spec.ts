import { generateSigningKey, issueCredential, keyId, MasterKey, RecordSigner, sealSigningKey, verifyCredential } from '@am/crypto';
import { IgnoredRecords, KeyLayout } from '@am/store';
import { TestInfra, waitFor } from '@am/testing';
import type { Etcd3 } from 'etcd3';
import pino from 'pino';
import { SigningKeyStore } from './signing-key-store';

const log = pino({ level: 'silent' });
const HOUR = 3600;

describe('signing keys in a real etcd', () => {
  let infra: TestInfra;
  let etcd: Etcd3;
  const master = MasterKey.generate();
  let prefixCount = 0;
  const stores: SigningKeyStore[] = [];

  beforeAll(async () => {
    infra = await TestInfra.start();
    etcd = infra.etcdClient();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.stop()));
    etcd?.close();
    await infra?.stop();
  }, 30_000);

  /** A fresh key range per test, and a clock the test moves. */
  function fixture() {
    const layout = new KeyLayout(`/keys-test-${++prefixCount}/`);
    let now = 1_750_000_000_000;
    const clock = { now: () => now, advance: (sec: number) => (now += sec * 1000) };
    const open = async (key = master, events: string[] = [], ignored?: IgnoredRecords) => {
      const store = new SigningKeyStore(etcd, layout, key, {
        rotationPeriodSec: 6 * HOUR,
        log,
        ignored,
        clock: clock.now,
        onCommitted: (evs) => events.push(...evs.map((e) => `${e.kind} ${e.kid}`)),
      });
      await store.start();
      stores.push(store);
      return store;
    };
    const stored = async () => etcd.getAll().prefix(layout.signingKeys()).strings();
    const events = async () => Object.values(await etcd.getAll().prefix(`${layout.domain('identity')}events/`).strings()).flatMap((v) => JSON.parse(v) as { kind: string; kid?: string }[]);
    return { layout, clock, open, stored, events };
  }

  it('creates a key on first use, stores it sealed, and writes the event in the same transaction', async () => {
    const f = fixture();
    const published: string[] = [];
    const store = await f.open(master, published);
    const key = await store.signingKeyFor(HOUR);
    expect(key.expiry).toBe(f.clock.now() / 1000 + 6 * HOUR);

    const raw = await f.stored();
    expect(Object.keys(raw)).toEqual([`${f.layout.signingKeys()}${keyId(key.expiry)}`]);
    const value = Object.values(raw)[0];
    // No plaintext private key in any encoding: PEM, PKCS#8 DER (base64 / hex) or the bare scalar.
    const der = key.privateKey.export({ format: 'der', type: 'pkcs8' });
    const d = (key.privateKey.export({ format: 'jwk' }) as { d: string }).d;
    expect(value).not.toContain('PRIVATE KEY');
    expect(value).not.toContain(der.toString('base64'));
    expect(value).not.toContain(der.toString('hex'));
    expect(value).not.toContain(d);
    expect(value).not.toContain(Buffer.from(d, 'base64url').toString('base64'));
    expect(JSON.parse(value)).toMatchObject({ kid: keyId(key.expiry), expiry: key.expiry, publicKeyPem: expect.stringContaining('BEGIN PUBLIC KEY') });

    expect(await f.events()).toEqual([expect.objectContaining({ kind: 'signing-key-created', kid: keyId(key.expiry) })]);
    expect(published).toEqual([`signing-key-created ${keyId(key.expiry)}`]);
    // The same key signs the next credential.
    expect((await store.signingKeyFor(HOUR)).expiry).toBe(key.expiry);
  });

  it('lets several replicas racing for the first key create exactly one', async () => {
    const f = fixture();
    const replicas = await Promise.all([f.open(), f.open(), f.open()]);
    // Different clocks would pick different expiries: only the head compare keeps them to one key.
    const results = await Promise.all(
      replicas.map(async (r, i) => {
        if (i > 0) f.clock.advance(1);
        return Promise.all([r.signingKeyFor(HOUR), r.signingKeyFor(1800)]);
      }),
    );
    const expiries = new Set(results.flat().map((k) => k.expiry));
    expect(expiries.size).toBe(1);
    expect(Object.keys(await f.stored())).toHaveLength(1);
    expect((await f.events()).filter((e) => e.kind === 'signing-key-created')).toHaveLength(1);
  });

  it('rotates: a credential signed by the previous key verifies until it expires; expired keys are retired', async () => {
    const f = fixture();
    const store = await f.open();
    const first = await store.signingKeyFor(HOUR);
    // Just before the first key can no longer outlive a 1 h credential by 5 minutes.
    f.clock.advance(6 * HOUR - HOUR - 5 * 60);
    const late = await issueCredential({ key: first, principal: 'am://user/alice', kind: 'login', lifetimeSec: HOUR, now: f.clock.now() / 1000 });
    f.clock.advance(1);
    const second = await store.signingKeyFor(HOUR);
    expect(second.expiry).toBeGreaterThan(first.expiry);
    expect(store.all().map((k) => k.expiry).sort()).toEqual([first.expiry, second.expiry]);

    // The late credential stays valid to its last second, through the retained first key.
    f.clock.advance(HOUR - 2);
    expect(verifyCredential(late, { keys: store, now: f.clock.now() / 1000, accept: 'login' }).claims.id).toBe('am://user/alice');
    expect(await store.removeExpired()).toBe(0);

    // After the first key's expiry plus the grace minute it is removed and its retirement recorded.
    f.clock.advance(5 * 60 + 63);
    expect(await store.removeExpired()).toBe(1);
    expect(Object.keys(await f.stored())).toEqual([`${f.layout.signingKeys()}${keyId(second.expiry)}`]);
    expect((await f.events()).map((e) => `${e.kind} ${e.kid}`)).toEqual([
      `signing-key-created ${keyId(first.expiry)}`,
      `signing-key-created ${keyId(second.expiry)}`,
      `signing-key-retired ${keyId(first.expiry)}`,
    ]);
    expect(store.get(first.expiry)).toBeUndefined();
  });

  it('keeps its keys across a restart, and a replica sees keys another one created', async () => {
    const f = fixture();
    const a = await f.open();
    const b = await f.open();
    const key = await a.signingKeyFor(HOUR);
    await waitFor('the other replica to see the key', () => b.get(key.expiry) !== undefined, 5000);
    expect((await b.signingKeyFor(HOUR)).expiry).toBe(key.expiry);
    await a.stop();
    stores.splice(stores.indexOf(a), 1);
    const restarted = await f.open();
    expect((await restarted.signingKeyFor(HOUR)).privateKey.equals(key.privateKey)).toBe(true);
    expect(Object.keys(await f.stored())).toHaveLength(1);
  });

  it('a replica whose watch has not delivered a new key yet catches up when a credential names it', async () => {
    const f = fixture();
    const a = await f.open();
    const lagging = await f.open();
    await lagging.stop(); // its watch stands still from here on
    const key = await a.signingKeyFor(HOUR);
    expect(lagging.get(key.expiry)).toBeUndefined();
    expect(await lagging.catchUp(key.expiry)).toBe(true);
    expect(lagging.get(key.expiry)?.expiry).toBe(key.expiry);
    // It can sign with it too: the private key opened with the shared master key.
    expect((await lagging.signingKeyFor(HOUR)).privateKey.equals(key.privateKey)).toBe(true);
  });

  it('neither signs nor verifies with a key it cannot open (another master key, or planted), and reports it', async () => {
    const f = fixture();
    const a = await f.open();
    const key = await a.signingKeyFor(HOUR);
    const ignored = new IgnoredRecords();
    const other = await f.open(MasterKey.generate(), [], ignored);
    expect(other.get(key.expiry)).toBeUndefined();
    expect(ignored.summary().keys).toEqual([`${f.layout.signingKeys()}${keyId(key.expiry)}`]);
    f.clock.advance(1);
    const own = await other.signingKeyFor(HOUR);
    expect(own.expiry).not.toBe(key.expiry);
  });

  it('signs each key record with the record key, and signs at start the records of its own keys that are unsigned', async () => {
    const f = fixture();
    const records = RecordSigner.fromMasterKey('identity', master);
    const key = await (await f.open()).signingKeyFor(HOUR);
    const etcdKey = `${f.layout.signingKeys()}${keyId(key.expiry)}`;
    expect(records.open(etcdKey, JSON.parse((await f.stored())[etcdKey]))).toMatchObject({ expiry: key.expiry });
    // Written before records were signed (ours: it opens with the master key), and a planted one.
    const older = generateSigningKey(key.expiry - 60);
    const olderKey = `${f.layout.signingKeys()}${keyId(older.expiry)}`;
    await etcd.put(olderKey).value(JSON.stringify(sealSigningKey(older, master, olderKey)));
    const planted = generateSigningKey(key.expiry - 120);
    const plantedKey = `${f.layout.signingKeys()}${keyId(planted.expiry)}`;
    await etcd.put(plantedKey).value(JSON.stringify(sealSigningKey(planted, MasterKey.generate(), plantedKey)));
    await f.open();
    const after = await f.stored();
    expect(records.open(olderKey, JSON.parse(after[olderKey]))).toMatchObject({ expiry: older.expiry });
    expect(records.open(plantedKey, JSON.parse(after[plantedKey]))).toBeUndefined();
  });
});
