import { X509Certificate } from 'node:crypto';
import { createCaHierarchy, createIntermediateCa, createRootCa, loadCertificateAuthority } from './ca';
import { X509InputError } from './errors';
import { OpensslDir } from './test-openssl';

describe('CA creation', () => {
  const dir = new OpensslDir();
  afterAll(() => dir.cleanup());

  it('creates an EC P-256 root and intermediate with CA extensions that openssl accepts', () => {
    const { root, intermediate } = createCaHierarchy({ organization: 'HPE' });
    dir.write('root.pem', root.certificatePem);
    dir.write('int.pem', intermediate.certificatePem);
    expect(dir.openssl('verify', '-CAfile', 'root.pem', 'int.pem').stdout).toContain('int.pem: OK');

    const text = dir.openssl('x509', '-in', 'int.pem', '-noout', '-text').stdout;
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toContain('Subject Key Identifier');
    expect(text).toContain('Authority Key Identifier');
    expect(text).toContain('NIST CURVE: P-256');
    expect(dir.openssl('x509', '-in', 'root.pem', '-noout', '-text').stdout).toMatch(/CA:TRUE, pathlen:1/);

    const nodeRoot = new X509Certificate(root.certificateDer);
    expect(new X509Certificate(intermediate.certificateDer).checkIssued(nodeRoot)).toBe(true);
    expect(intermediate.authority.chainPem).toBe(intermediate.certificatePem + root.certificatePem);
  });

  it('creates RSA CAs when asked', () => {
    const root = createRootCa({ subject: [{ type: 'CN', value: 'RSA root' }], key: { type: 'rsa', bits: 2048 } });
    dir.write('rsa-root.pem', root.certificatePem);
    const text = dir.openssl('x509', '-in', 'rsa-root.pem', '-noout', '-text').stdout;
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toContain('sha256WithRSAEncryption');
  });

  it('never lets the intermediate outlive the root', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const root = createRootCa({ subject: [{ type: 'CN', value: 'short root' }], validityDays: 10, now });
    const intermediate = createIntermediateCa(root.authority, { subject: [{ type: 'CN', value: 'int' }], validityDays: 365, now });
    expect(intermediate.authority.certificate.notAfter).toEqual(root.authority.certificate.notAfter);
    expect(() => createRootCa({ subject: [], validityDays: 0 })).toThrow(X509InputError);
  });

  it('reloads a CA from PEM certificate + PKCS#8 key and refuses a key that does not match', () => {
    const { root, intermediate } = createCaHierarchy({});
    expect(intermediate.privateKeyPem).toContain('BEGIN PRIVATE KEY');
    const loaded = loadCertificateAuthority({ certificate: intermediate.certificatePem, privateKey: intermediate.privateKeyDer, issuerChain: root.certificatePem });
    expect(loaded.chainPem).toBe(intermediate.authority.chainPem);
    expect(loaded.authorityKeyIdExtension).toEqual(intermediate.authority.authorityKeyIdExtension);
    expect(() => loadCertificateAuthority({ certificate: intermediate.certificatePem, privateKey: root.privateKeyPem })).toThrow(/does not match/);
  });
});
