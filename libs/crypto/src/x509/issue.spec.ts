import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, generateKeyPairSync, webcrypto } from 'node:crypto';
import { createCaHierarchy, createIntermediateCa, createRootCa } from './ca';
import { parseCertificate } from './certificate';
import { X509InputError } from './errors';
import { issueCertificate } from './issue';
import { signCsr } from './sign-csr';
import { EC_P256, OpensslDir, RSA_2048 } from './test-openssl';

x509.cryptoProvider.set(webcrypto as Crypto);

describe('leaf issuance', () => {
  const dir = new OpensslDir();
  const { intermediate } = createCaHierarchy({ organization: 'HPE' });
  const ca = intermediate.authority;
  dir.write('chain.pem', ca.chainPem);
  const ecCsr = dir.csr('alice', EC_P256);
  const rsaCsr = dir.csr('bob', RSA_2048);
  afterAll(() => dir.cleanup());

  const save = (name: string, pem: string) => dir.write(name, pem);
  const extText = (name: string) => dir.openssl('x509', '-in', name, '-noout', '-ext', 'subjectAltName,extendedKeyUsage,keyUsage').stdout;

  it('signs an EC CSR from openssl req into a client certificate that openssl verifies', () => {
    const issued = signCsr(ca, ecCsr, { principal: 'am://user/hpe/bu1/alice' });
    save('alice.pem', issued.pem);
    expect(dir.openssl('verify', '-CAfile', 'chain.pem', '-purpose', 'sslclient', 'alice.pem').stdout).toContain('alice.pem: OK');
    const ext = extText('alice.pem');
    expect(ext).toContain('URI:am://user/hpe/bu1/alice');
    expect(ext).toContain('TLS Web Client Authentication');
    expect(ext).not.toContain('Server Authentication');
    expect(ext).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(issued.chainPem).toBe(ca.chainPem);
    // The certificate carries the CSR's key: openssl can match it with the private key.
    expect(dir.openssl('x509', '-in', 'alice.pem', '-noout', '-pubkey').stdout).toBe(dir.openssl('pkey', '-in', 'alice.key', '-pubout').stdout);
  });

  it('signs an RSA CSR (keyEncipherment added) from an EC CA', () => {
    const issued = signCsr(ca, rsaCsr, { principal: 'am://user/hpe/bob' });
    save('bob.pem', issued.pem);
    expect(dir.openssl('verify', '-CAfile', 'chain.pem', 'bob.pem').stdout).toContain('bob.pem: OK');
    expect(extText('bob.pem')).toMatch(/Digital Signature, Key Encipherment/);
  });

  it('issues server certificates to workloads only, with the requested DNS/IP names', () => {
    const issued = signCsr(ca, ecCsr, { principal: 'am://workload/hpe/gateway', profile: 'server', dnsNames: ['GW.example.com', 'localhost'], ipAddresses: ['127.0.0.1', '::1'] });
    save('gw.pem', issued.pem);
    expect(dir.openssl('verify', '-CAfile', 'chain.pem', '-purpose', 'sslserver', 'gw.pem').stdout).toContain('gw.pem: OK');
    const ext = extText('gw.pem');
    expect(ext).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    expect(ext).toContain('URI:am://workload/hpe/gateway, DNS:gw.example.com, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(new X509Certificate(issued.der).checkHost('gw.example.com')).toBe('gw.example.com');

    const refuse = (request: Parameters<typeof signCsr>[2]) => expect(() => signCsr(ca, ecCsr, request)).toThrow(X509InputError);
    refuse({ principal: 'am://user/hpe/alice', profile: 'server', dnsNames: ['a.example.com'] });
    refuse({ principal: 'am://workload/hpe/gw', profile: 'server' });
    refuse({ principal: 'am://workload/hpe/gw', profile: 'server', dnsNames: ['*.example.com'] });
    refuse({ principal: 'am://workload/hpe/gw', profile: 'server', ipAddresses: ['300.1.1.1'] });
    refuse({ principal: 'am://workload/hpe/gw', dnsNames: ['a.example.com'] });
    refuse({ principal: 'am://role/admin' });
    refuse({ principal: 'am://user/../x' });
    refuse({ principal: 'am://user/hpe/alice', validitySeconds: -5 });
  });

  it('is readable by node:crypto and @peculiar/x509 with the same fields', () => {
    const issued = signCsr(ca, ecCsr, { principal: 'am://user/hpe/bu1/alice' });
    const nodeCert = new X509Certificate(issued.der);
    expect(nodeCert.checkIssued(new X509Certificate(ca.certificate.der))).toBe(true);
    expect(nodeCert.verify(ca.certificate.publicKey)).toBe(true);
    expect(nodeCert.serialNumber.toLowerCase().replace(/^0+/, '')).toBe(issued.serialHex);
    expect(nodeCert.subjectAltName).toBe('URI:am://user/hpe/bu1/alice');
    expect(nodeCert.fingerprint256.replace(/:/g, '').toLowerCase()).toBe(issued.fingerprint256);
    expect(new Date(nodeCert.validTo)).toEqual(issued.notAfter);

    const peculiar = new x509.X509Certificate(new Uint8Array(issued.der));
    const eku = peculiar.getExtension(x509.ExtendedKeyUsageExtension);
    expect(eku?.usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
    expect(peculiar.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON()).toEqual([{ type: 'url', value: 'am://user/hpe/bu1/alice' }]);
    expect(peculiar.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);

    const parsed = parseCertificate(issued.pem);
    expect(parsed.altNames.uris).toEqual(['am://user/hpe/bu1/alice']);
    expect(parsed.authorityKeyId).toEqual(ca.certificate.subjectKeyId);
    expect(parsed.serialHex).toBe(issued.serialHex);
  });

  it('uses random, distinct, positive serials of up to 128 bits', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const serials = Array.from({ length: 64 }, () => issueCertificate(ca, publicKey, { principal: 'am://user/s' }).serialHex);
    expect(new Set(serials).size).toBe(64);
    for (const s of serials) expect(s).toMatch(/^[0-9a-f]{1,32}$/);
    expect(serials.some((s) => s.length === 32 && parseInt(s[0], 16) >= 8)).toBe(true); // high bit used: 128 bits, not 127
  });

  it('bounds validity by the policy maximum and by the issuer notAfter', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const now = new Date('2031-03-01T12:00:00.750Z');
    const policy = { defaultValiditySeconds: 3600, maxValiditySeconds: 7200, backdateSeconds: 60 };
    const shortRoot = createRootCa({ subject: [{ type: 'CN', value: 'r' }], now: new Date('2031-03-01T11:00:00Z'), validityDays: 2 });
    const shortCa = createIntermediateCa(shortRoot.authority, { subject: [{ type: 'CN', value: 'i' }], now: new Date('2031-03-01T11:00:00Z') }).authority;

    const byDefault = issueCertificate(shortCa, publicKey, { principal: 'am://user/v', now }, policy);
    expect(byDefault.notBefore).toEqual(new Date('2031-03-01T11:59:00Z'));
    expect(byDefault.notAfter).toEqual(new Date('2031-03-01T13:00:00Z'));
    const capped = issueCertificate(shortCa, publicKey, { principal: 'am://user/v', now, validitySeconds: 86_400 }, policy);
    expect(capped.notAfter).toEqual(new Date('2031-03-01T14:00:00Z'));
    const nearEnd = issueCertificate(shortCa, publicKey, { principal: 'am://user/v', now: new Date('2031-03-03T10:30:00Z') }, policy);
    expect(nearEnd.notAfter).toEqual(shortCa.certificate.notAfter);
    expect(() => issueCertificate(shortCa, publicKey, { principal: 'am://user/v', now: new Date('2031-03-04T00:00:00Z') }, policy)).toThrow(/expired/);
    // Backdating never goes before the issuer's own notBefore.
    const atStart = issueCertificate(shortCa, publicKey, { principal: 'am://user/v', now: new Date('2031-03-01T11:00:10Z') }, policy);
    expect(atStart.notBefore).toEqual(shortCa.certificate.notBefore);
  });

  it('puts a principal longer than the CN bound only in a critical SAN', () => {
    const principal = `am://user/hpe/${'a'.repeat(40)}/${'b'.repeat(40)}`;
    const issued = signCsr(ca, ecCsr, { principal });
    save('long.pem', issued.pem);
    expect(dir.openssl('verify', '-CAfile', 'chain.pem', 'long.pem').stdout).toContain('long.pem: OK');
    expect(dir.openssl('x509', '-in', 'long.pem', '-noout', '-ext', 'subjectAltName').stdout).toMatch(/Subject Alternative Name: critical\s+URI:am:\/\/user\/hpe\/a+\/b+/);
    expect(parseCertificate(issued.der).subject).toEqual([]);
  });

  it('issues with an RSA intermediate too', () => {
    const rsa = createCaHierarchy({ key: { type: 'rsa', bits: 2048 } });
    dir.write('rsa-chain.pem', rsa.intermediate.authority.chainPem);
    save('rsa-ca-leaf.pem', signCsr(rsa.intermediate.authority, ecCsr, { principal: 'am://user/x' }).pem);
    expect(dir.openssl('verify', '-CAfile', 'rsa-chain.pem', 'rsa-ca-leaf.pem').stdout).toContain('OK');
  });
});
