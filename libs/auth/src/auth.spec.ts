import { generateSigningKey, issueCredential, keyId, MasterKey, RecordSigner, sealSigningKey, type SigningKey } from '@am/crypto';
import { AccessEngine } from '@am/engine';
import { UnauthenticatedError } from '@am/model';
import { IgnoredRecords, KeyLayout } from '@am/store';
import { TestInfra, waitFor } from '@am/testing';
import type { Etcd3 } from 'etcd3';
import { CallerResolver } from './caller-resolver';
import { SigningKeyDirectory } from './signing-key-directory';

const engine = AccessEngine.fromUniverse({
  nodes: [
    { path: 'am://', annotations: [] },
    { path: 'am://user', annotations: [] },
    { path: 'am://user/alice', annotations: [{ tag: 'leaf', unique: 1n, version: 1, startMillis: 0, endMillis: 0, data: '' } as never] },
  ],
});

describe('credentials resolved against signing keys published in a real etcd', () => {
  let infra: TestInfra;
  let etcd: Etcd3;
  let directory: SigningKeyDirectory;
  let resolver: CallerResolver;
  const layout = new KeyLayout('/auth-test/');
  const nowSec = Math.floor(Date.now() / 1000);
  const key = generateSigningKey(nowSec + 7200);
  const master = MasterKey.generate();
  const records = RecordSigner.fromMasterKey('identity', master);
  const recordKey = records.verifier();
  const recordOf = (k: SigningKey) => `${layout.signingKeys()}${keyId(k.expiry)}`;
  /** As identity publishes a key: sealed, and signed with its record key. */
  const publish = (k = key, signer = records) => etcd.put(recordOf(k)).value(signer.seal(recordOf(k), sealSigningKey(k, master)));

  beforeAll(async () => {
    infra = await TestInfra.start();
    etcd = infra.etcdClient();
    await publish();
    directory = new SigningKeyDirectory(etcd, layout, { recordKey });
    await directory.start();
    resolver = new CallerResolver(() => engine, directory, { allowDemoIdentities: true });
  });
  afterAll(async () => {
    await directory?.stop();
    etcd?.close();
    await infra.stop();
  });

  const login = (principal = 'am://user/alice', k = key) => issueCredential({ key: k, principal, kind: 'login', lifetimeSec: 600, now: nowSec });

  it('resolves a credential signed by a published key to its principal', async () => {
    expect(resolver.resolve(await login(), Date.now())).toMatchObject({ principal: 'am://user/alice', via: 'credential' });
  });

  it('sees keys published after it started, and forgets removed ones even for cached credentials', async () => {
    const next = generateSigningKey(nowSec + 9000);
    const token = await login('am://user/alice', next);
    expect(() => resolver.resolve(token, Date.now())).toThrow(new UnauthenticatedError('key not found'));
    await publish(next);
    await waitFor('the new key', () => directory.get(next.expiry) !== undefined, 5000);
    expect(resolver.resolve(token, Date.now()).principal).toBe('am://user/alice');
    await etcd.delete().key(`${layout.signingKeys()}${keyId(next.expiry)}`);
    await waitFor('the key to go', () => directory.get(next.expiry) === undefined, 5000);
    expect(() => resolver.resolve(token, Date.now())).toThrow(UnauthenticatedError);
  });

  it('resolveLatest reads the keys again for a credential signed by a key newer than any its watch delivered', async () => {
    // A directory whose watch has stopped stands for one whose watch lags behind identity.
    const lagging = new SigningKeyDirectory(etcd, layout, { recordKey });
    await lagging.start();
    await lagging.stop();
    const laggingResolver = new CallerResolver(() => engine, lagging, { allowDemoIdentities: false });
    const newest = Math.max(...lagging.all().map((k) => k.expiry));
    const older = generateSigningKey(newest - 60);
    const fresh = generateSigningKey(newest + 60);
    await publish(older);
    await publish(fresh);
    // A key older than one already known cannot have been created since: no read, refused.
    await expect(laggingResolver.resolveLatest(await login('am://user/alice', older), Date.now())).rejects.toThrow(new UnauthenticatedError('key not found'));
    expect(lagging.get(older.expiry)).toBeUndefined();
    const token = await login('am://user/alice', fresh);
    expect(() => laggingResolver.resolve(token, Date.now())).toThrow(new UnauthenticatedError('key not found'));
    await expect(laggingResolver.resolveLatest(token, Date.now())).resolves.toMatchObject({ principal: 'am://user/alice', via: 'credential' });
  });

  it('refuses a delegation credential as a login, and one for a principal no longer in the tree', async () => {
    const delegation = await issueCredential({ key, principal: 'am://user/alice', kind: 'delegation', roles: [], lifetimeSec: 600, now: nowSec });
    expect(() => resolver.resolve(delegation, Date.now())).toThrow(UnauthenticatedError);
    expect(resolver.resolve(delegation, Date.now(), 'any').principal).toBe('am://user/alice');
    const gone = await login('am://user/gone');
    expect(() => resolver.resolve(gone, Date.now())).toThrow(new UnauthenticatedError('am://user/gone not found'));
  });

  it('applies the demonstration-identity rule to principal paths, and can turn it off', () => {
    expect(resolver.resolve('am://user/alice', Date.now())).toEqual({ principal: 'am://user/alice', via: 'demo-identity' });
    const strict = new CallerResolver(() => engine, directory, { allowDemoIdentities: false });
    expect(() => strict.resolve('am://user/alice', Date.now())).toThrow(new UnauthenticatedError('invalid credential'));
    expect(() => resolver.resolve('', Date.now())).toThrow(new UnauthenticatedError('missing credential'));
  });

  it('ignores a malformed key record instead of trusting it, and reports it', async () => {
    const reports: string[] = [];
    const ignored = new IgnoredRecords((k, reason) => reports.push(`${k}: ${reason}`));
    await etcd.put(`${layout.signingKeys()}123`).value(records.seal(`${layout.signingKeys()}123`, { expiry: 123, publicKeyPem: 'not a key' }));
    const d = new SigningKeyDirectory(etcd, layout, { recordKey, ignored });
    await d.start();
    expect(d.get(123)).toBeUndefined();
    expect(reports).toEqual([expect.stringMatching(/signing-keys\/123: malformed/)]);
    await d.stop();
    await etcd.delete().key(`${layout.signingKeys()}123`);
  });

  it('a key record not signed with the record key verifies nothing, at start or written later, and is reported until removed', async () => {
    const ignored = new IgnoredRecords();
    const planted = generateSigningKey(nowSec + 5000);
    const token = await login('am://user/alice', planted);
    // Sealed and well formed, but written by someone without identity's master key.
    await etcd.put(recordOf(planted)).value(JSON.stringify(sealSigningKey(planted, MasterKey.generate())));
    const d = new SigningKeyDirectory(etcd, layout, { recordKey, ignored });
    await d.start();
    const strict = new CallerResolver(() => engine, d, { allowDemoIdentities: false });
    expect(d.get(planted.expiry)).toBeUndefined();
    expect(ignored.summary()).toEqual({ count: 1, keys: [recordOf(planted)] });
    await expect(strict.resolveLatest(token, Date.now())).rejects.toThrow(UnauthenticatedError);
    // Signed by another deployment's record key: the same.
    await publish(planted, RecordSigner.fromMasterKey('identity', MasterKey.generate()));
    await waitFor('the replaced record to be seen', () => ignored.size === 1 && d.get(planted.expiry) === undefined, 5000);
    expect(() => strict.resolve(token, Date.now())).toThrow(UnauthenticatedError);
    // A trusted key whose record is replaced by an unsigned one stops verifying.
    await etcd.put(recordOf(key)).value(JSON.stringify(sealSigningKey(key, master)));
    await waitFor('the tampered key to go', () => d.get(key.expiry) === undefined, 5000);
    expect(ignored.size).toBe(2);
    await publish(key);
    await etcd.delete().key(recordOf(planted));
    await waitFor('the records to be trusted again', () => ignored.size === 0 && d.get(key.expiry) !== undefined, 5000);
    await d.stop();
  });
});
