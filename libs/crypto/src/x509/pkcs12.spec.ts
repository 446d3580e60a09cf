import { createPrivateKey, createPublicKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { createCaHierarchy } from './ca';
import { X509InputError } from './errors';
import { issueWithGeneratedKey } from './generated-key';
import { buildPkcs12 } from './pkcs12';
import { OpensslDir } from './test-openssl';

describe('server-side key generation and PKCS#12', () => {
  const dir = new OpensslDir();
  const { intermediate } = createCaHierarchy({ organization: 'HPE' });
  const ca = intermediate.authority;
  dir.write('chain.pem', ca.chainPem);
  afterAll(() => dir.cleanup());

  const openP12 = (file: string, password: string) => dir.openssl('pkcs12', '-info', '-in', file, '-passin', `pass:${password}`, '-nodes');

  it.each([
    ['EC P-256', undefined],
    ['RSA-2048', { type: 'rsa' as const, bits: 2048 as const }],
  ])('packs a %s key with its certificate and chain that openssl opens only with the right password', (_label, key) => {
    const issued = issueWithGeneratedKey(ca, { principal: 'am://user/hpe/carol' }, { key, pkcs12Password: 'correct horse' });
    dir.write('carol.pem', issued.pem);
    expect(dir.openssl('verify', '-CAfile', 'chain.pem', 'carol.pem').stdout).toContain('OK');
    const file = dir.write('carol.p12', issued.pkcs12!);

    const good = openP12(file, 'correct horse');
    expect(good.status).toBe(0);
    expect(good.stderr).toContain('MAC: sha256');
    expect(good.stderr).toContain('Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC');
    expect(good.stdout).toContain('friendlyName: am://user/hpe/carol');
    expect(good.stdout.match(/BEGIN CERTIFICATE/g)?.length).toBe(3);
    // The key openssl extracts is the certificate's key.
    const extractedKey = createPrivateKey(good.stdout.slice(good.stdout.indexOf('-----BEGIN PRIVATE KEY')));
    const certKey = createPublicKey(issued.pem).export({ format: 'der', type: 'spki' });
    expect(createPublicKey(extractedKey).export({ format: 'der', type: 'spki' })).toEqual(certKey);
    expect(createPublicKey(issued.privateKeyPem).export({ format: 'der', type: 'spki' })).toEqual(certKey);

    const bad = openP12(file, 'wrong horse');
    expect(bad.status).not.toBe(0);
    expect(bad.output).toMatch(/Mac verify error|invalid password/i);

    expect(() => createSecureContext({ pfx: issued.pkcs12, passphrase: 'correct horse' })).not.toThrow();
    expect(() => createSecureContext({ pfx: issued.pkcs12, passphrase: 'wrong horse' })).toThrow();
  });

  it('returns only the PEM key when no password is given, and refuses a too-short password', () => {
    const issued = issueWithGeneratedKey(ca, { principal: 'am://workload/hpe/batch' });
    expect(issued.pkcs12).toBeUndefined();
    expect(issued.privateKeyPem).toContain('BEGIN PRIVATE KEY');
    expect(() => buildPkcs12({ privateKey: createPrivateKey(issued.privateKeyPem), certificate: issued.pem, password: 'x' })).toThrow(X509InputError);
  });
});
