import { createSecureContext as tlsContext } from 'node:tls';
import { createCaHierarchy } from './ca';
import { assembleCrl, buildCrl, crlIssuerFromCertificate, crlIssuerOf, crlToBeSigned, signCrl, type RevokedCertificate } from './crl';
import { X509Error } from './errors';
import { X509InputError } from './errors';
import { signCsr } from './sign-csr';
import { randomSerial } from './serial';
import { EC_P256, OpensslDir } from './test-openssl';

describe('CRL', () => {
  const dir = new OpensslDir();
  const { intermediate } = createCaHierarchy({ organization: 'HPE' });
  const ca = intermediate.authority;
  dir.write('chain.pem', ca.chainPem);
  const csr = dir.csr('leaf', EC_P256);
  afterAll(() => dir.cleanup());

  it('makes openssl report a revoked certificate as revoked and an unrevoked one as OK', () => {
    const revokedLeaf = signCsr(ca, csr, { principal: 'am://user/hpe/mallory' });
    const goodLeaf = signCsr(ca, csr, { principal: 'am://user/hpe/alice' });
    dir.write('revoked.pem', revokedLeaf.pem);
    dir.write('good.pem', goodLeaf.pem);
    const crl = buildCrl(ca, [{ serialHex: revokedLeaf.serialHex, revokedAt: new Date(), reason: 'keyCompromise' }], { crlNumber: 7 });
    expect(crl.pem.startsWith('-----BEGIN X509 CRL-----\n')).toBe(true);
    dir.write('crl.pem', crl.pem);

    const revoked = dir.openssl('verify', '-crl_check', '-CAfile', 'chain.pem', '-CRLfile', 'crl.pem', 'revoked.pem');
    expect(revoked.status).not.toBe(0);
    expect(revoked.output).toContain('certificate revoked');
    const good = dir.openssl('verify', '-crl_check', '-CAfile', 'chain.pem', '-CRLfile', 'crl.pem', 'good.pem');
    expect(good.stdout).toContain('good.pem: OK');
    // Node's TLS stack accepts it too (the PEM label matters there).
    expect(() => tlsContext({ crl: crl.pem })).not.toThrow();
  });

  it('writes a v2 CRL with CRL number, AKI, update times and reason codes', () => {
    const thisUpdate = new Date('2030-05-01T10:00:00.900Z');
    const entries: RevokedCertificate[] = [
      { serialHex: '0A:BC:01', revokedAt: new Date('2030-04-30T08:00:00Z'), reason: 'superseded' },
      { serialHex: 'ff00', revokedAt: new Date('2030-04-30T09:00:00Z') },
      { serialHex: '1234', revokedAt: new Date('2030-04-30T09:30:00Z'), reason: 'unspecified' },
    ];
    const crl = buildCrl(ca, entries, { crlNumber: 2n ** 70n, thisUpdate, nextUpdate: new Date('2030-05-02T10:00:00Z') });
    dir.write('small.crl', crl.der);
    const text = dir.openssl('crl', '-inform', 'DER', '-in', 'small.crl', '-noout', '-text').stdout;
    expect(text).toContain('Version 2 (0x1)');
    expect(text).toContain('Last Update: May  1 10:00:00 2030 GMT');
    expect(text).toContain('Next Update: May  2 10:00:00 2030 GMT');
    expect(text).toMatch(/X509v3 CRL Number:\s+0x400000000000000000|X509v3 CRL Number:\s+1180591620717411303424/);
    expect(text).toContain('X509v3 Authority Key Identifier');
    expect(text).toMatch(/Serial Number: 0ABC01\s+Revocation Date: Apr 30 08:00:00 2030 GMT\s+CRL entry extensions:\s+X509v3 CRL Reason Code:\s+Superseded/);
    expect(text).toMatch(/Serial Number: FF00\s+Revocation Date: Apr 30 09:00:00 2030 GMT\s+Serial Number: 1234/);
    expect(dir.openssl('crl', '-inform', 'DER', '-in', 'small.crl', '-noout', '-CAfile', 'chain.pem').output).toContain('verify OK');
  });

  it('omits revokedCertificates when nothing is revoked', () => {
    const crl = buildCrl(ca, [], { crlNumber: 1 });
    dir.write('empty.crl', crl.pem);
    const text = dir.openssl('crl', '-in', 'empty.crl', '-noout', '-text').stdout;
    expect(text).toContain('No Revoked Certificates');
  });

  it('builds a 100,000-entry CRL that openssl parses and verifies', () => {
    const entries: RevokedCertificate[] = Array.from({ length: 100_000 }, (_, i) => ({
      serialHex: randomSerial().hex,
      revokedAt: new Date(Date.UTC(2030, 0, 1) + i * 1000),
      reason: i % 3 ? 'keyCompromise' : undefined,
    }));
    const crl = buildCrl(ca, entries, { crlNumber: 100 });
    expect(crl.entryCount).toBe(100_000);
    dir.write('big.crl', crl.der);
    const r = dir.openssl('crl', '-inform', 'DER', '-in', 'big.crl', '-noout', '-text', '-CAfile', 'chain.pem');
    expect(r.stderr).toContain('verify OK');
    expect(r.stdout.match(/Serial Number: /g)?.length).toBe(100_000);
  });

  it('refuses bad input with X509InputError', () => {
    expect(() => buildCrl(ca, [{ serialHex: 'xyz', revokedAt: new Date() }], { crlNumber: 1 })).toThrow(X509InputError);
    expect(() => buildCrl(ca, [{ serialHex: '01', revokedAt: new Date('nope') }], { crlNumber: 1 })).toThrow(X509InputError);
    expect(() => buildCrl(ca, [{ serialHex: '01', revokedAt: new Date(), reason: 'bogus' as never }], { crlNumber: 1 })).toThrow(/unknown revocation reason/);
    expect(() => buildCrl(ca, [], { crlNumber: -1 })).toThrow(X509InputError);
    const t = new Date();
    expect(() => buildCrl(ca, [], { crlNumber: 1, thisUpdate: t, nextUpdate: t })).toThrow(/nextUpdate/);
  });

  it('reassembles the same CRL from its inputs and a stored signature, using only the CA certificate', () => {
    const entries: RevokedCertificate[] = [{ serialHex: 'abc', revokedAt: new Date('2030-01-01T00:00:00Z'), reason: 'superseded' }];
    const options = { crlNumber: 9, thisUpdate: new Date('2030-01-02T00:00:00Z'), nextUpdate: new Date('2030-01-03T00:00:00Z') };
    const signer = crlToBeSigned(crlIssuerOf(ca), entries, options);
    const signature = signCrl(ca, signer);
    const publicIssuer = crlIssuerFromCertificate(ca.certificate);
    const again = assembleCrl(publicIssuer, crlToBeSigned(publicIssuer, entries, options), signature);
    expect(again.der.equals(assembleCrl(crlIssuerOf(ca), signer, signature).der)).toBe(true);
    dir.write('reassembled.crl', again.pem);
    expect(dir.openssl('crl', '-in', 'reassembled.crl', '-noout', '-CAfile', 'chain.pem').output).toContain('verify OK');
    // Different inputs (one more entry) do not match the stored signature.
    const other = crlToBeSigned(publicIssuer, [...entries, { serialHex: 'abd', revokedAt: new Date('2030-01-01T00:00:00Z') }], options);
    expect(() => assembleCrl(publicIssuer, other, signature)).toThrow(X509Error);
  });
});
