import { execFileSync } from 'node:child_process';
import { MasterKey } from './master-key';
import { RecordKeyError, RecordSigner, RecordVerifier, recordKeyInfo } from './record-auth';

describe('record authentication', () => {
  const master = MasterKey.generate();
  const signer = RecordSigner.fromMasterKey('pki', master);
  const verifier = RecordVerifier.parse('pki', signer.toString());
  const key = '/am/pki/live/anchors/ab';
  const record = { fingerprint: 'ab', label: 'corp', nested: { '1': 2, b: [1, 'x'] } };

  it('a sealed record opens with the public key alone, as it was', () => {
    const stored = signer.seal(key, record);
    expect(verifier.open(key, JSON.parse(stored))).toEqual(record);
  });

  it('refuses a record that is unsigned, changed, moved, of another domain or signed by another master key', () => {
    const stored = JSON.parse(signer.seal(key, record));
    expect(verifier.open(key, record)).toBeUndefined();
    expect(verifier.open(key, { ...stored, label: 'evil' })).toBeUndefined();
    expect(verifier.open(`${key}x`, stored)).toBeUndefined();
    expect(verifier.open(key, { ...stored, auth: 'AAAA' })).toBeUndefined();
    expect(verifier.open(key, [stored])).toBeUndefined();
    const identity = RecordSigner.fromMasterKey('identity', master);
    expect(verifier.open(key, JSON.parse(identity.seal(key, record)))).toBeUndefined();
    expect(verifier.open(key, JSON.parse(RecordSigner.fromMasterKey('pki', MasterKey.generate()).seal(key, record)))).toBeUndefined();
  });

  it('the same master key always gives the same record key, and each domain its own', () => {
    expect(RecordSigner.fromMasterKey('pki', master).toString()).toBe(signer.toString());
    expect(RecordSigner.fromMasterKey('identity', master).toString()).not.toBe(signer.toString());
    expect(signer.verifier().toString()).toBe(signer.toString());
  });

  it('openssl derives the same public key from the master key (what deploy/make-secrets does)', () => {
    const bytes = Buffer.alloc(32, 7);
    const seed = execFileSync('openssl', ['kdf', '-keylen', '32', '-kdfopt', 'digest:SHA256', '-kdfopt', `hexkey:${bytes.toString('hex')}`, '-kdfopt', 'salt:', '-kdfopt', `info:${recordKeyInfo('identity')}`, 'HKDF'], { encoding: 'utf8' })
      .trim()
      .replace(/:/g, '');
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed, 'hex')]);
    const spki = execFileSync('openssl', ['pkey', '-inform', 'DER', '-pubout', '-outform', 'DER'], { input: pkcs8 });
    expect(`ed25519:${spki.subarray(-32).toString('base64')}`).toBe(RecordSigner.fromMasterKey('identity', MasterKey.fromBytes(bytes)).toString());
  });

  it('a malformed configured key is a clear error', () => {
    for (const bad of ['', 'ed25519:', 'ed25519:abc', 'rsa:' + 'A'.repeat(43) + '=', 'ed25519:' + 'A'.repeat(44)]) {
      expect(() => RecordVerifier.parse('identity', bad)).toThrow(RecordKeyError);
    }
    expect(() => RecordVerifier.parse('identity', 'nope')).toThrow('the identity record key must be "ed25519:"');
  });
});
