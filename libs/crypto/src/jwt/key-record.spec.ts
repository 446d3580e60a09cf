import { MasterKey, MasterKeyError } from '../master-key';
import { openSigningKey, sealSigningKey, signingKeyStorageId } from './key-record';
import { generateSigningKey } from './signing-key';

const EXPIRY = 1_750_021_600;

describe('signing key records', () => {
  const masterKey = MasterKey.generate();
  const signingKey = generateSigningKey(EXPIRY);

  it('round-trips: the opened key is the same key pair', () => {
    const record = sealSigningKey(signingKey, masterKey);
    expect(record.kid).toBe(String(EXPIRY));
    expect(record.expiry).toBe(EXPIRY);
    const opened = openSigningKey(JSON.parse(JSON.stringify(record)), masterKey);
    expect(opened.expiry).toBe(EXPIRY);
    expect(opened.privateKey.equals(signingKey.privateKey)).toBe(true);
    expect(opened.publicKey.equals(signingKey.publicKey)).toBe(true);
  });

  it('holds no plaintext private key in any encoding', () => {
    const stored = JSON.stringify(sealSigningKey(signingKey, masterKey));
    const der = signingKey.privateKey.export({ format: 'der', type: 'pkcs8' });
    const jwk = signingKey.privateKey.export({ format: 'jwk' });
    expect(stored).not.toContain('PRIVATE KEY');
    expect(stored).not.toContain(der.toString('base64'));
    expect(stored).not.toContain(jwk.d);
    // The raw bytes, in case the value were written as binary rather than base64.
    const sealed = Buffer.from(JSON.parse(stored).sealedPrivateKey, 'base64');
    expect(sealed.includes(der)).toBe(false);
    expect(sealed.includes(Buffer.from(jwk.d as string, 'base64url'))).toBe(false);
  });

  it('binds the sealed key to its storage identity', () => {
    const record = sealSigningKey(signingKey, masterKey);
    // A sealed key copied into another key's record does not open there.
    const other = sealSigningKey(generateSigningKey(EXPIRY + 1), masterKey);
    expect(() => openSigningKey({ ...other, sealedPrivateKey: record.sealedPrivateKey }, masterKey)).toThrow(MasterKeyError);
    const custom = sealSigningKey(signingKey, masterKey, '/am/identity/keys/x');
    expect(() => openSigningKey(custom, masterKey)).toThrow(MasterKeyError);
    expect(openSigningKey(custom, masterKey, '/am/identity/keys/x').expiry).toBe(EXPIRY);
    expect(signingKeyStorageId('42')).toBe('identity/signing-key/42');
  });

  it('refuses another master key, a swapped public key, a renamed or malformed record', () => {
    const record = sealSigningKey(signingKey, masterKey);
    expect(() => openSigningKey(record, MasterKey.generate())).toThrow(MasterKeyError);
    const foreignPublic = sealSigningKey(generateSigningKey(EXPIRY), masterKey).publicKeyPem;
    expect(() => openSigningKey({ ...record, publicKeyPem: foreignPublic }, masterKey)).toThrow('does not match');
    expect(() => openSigningKey({ ...record, expiry: EXPIRY + 1 }, masterKey)).toThrow('names expiry');
    expect(() => openSigningKey({ ...record, expiry: 'soon' }, masterKey)).toThrow();
    expect(() => openSigningKey(null, masterKey)).toThrow();
  });
});
