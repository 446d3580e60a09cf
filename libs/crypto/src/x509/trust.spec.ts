import { createCaHierarchy } from './ca';
import { certificateFingerprint, formatFingerprint } from './certificate';
import { signCsr } from './sign-csr';
import { EC_P256, OpensslDir } from './test-openssl';
import { createTrustStore, verifyClientCertificate, type TrustStore } from './trust';

describe('client certificate trust', () => {
  const dir = new OpensslDir();
  const { root, intermediate } = createCaHierarchy({ organization: 'HPE' });
  const ca = intermediate.authority;
  dir.write('int.pem', intermediate.certificatePem);
  dir.write('int.key', intermediate.privateKeyPem);
  const csr = dir.csr('client', EC_P256);
  const alice = signCsr(ca, csr, { principal: 'am://user/hpe/alice' });
  const own: TrustStore = createTrustStore({ anchors: [{ certificate: intermediate.certificatePem, label: 'own' }, { certificate: root.certificatePem }] });
  afterAll(() => dir.cleanup());

  /** A leaf signed by `caName` with openssl, with the given extension lines. */
  const opensslLeaf = (name: string, caName: string, extensions: string[], subject = `/CN=${name}`) => {
    dir.openssl('req', '-new', ...EC_P256, '-nodes', '-keyout', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
    dir.write(`${name}.ext`, extensions.join('\n') + '\n');
    const r = dir.openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.pem`, '-CAkey', `${caName}.key`, '-set_serial', '4660', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
    if (r.status !== 0) throw new Error(r.output);
    return dir.read(`${name}.pem`).toString();
  };
  const externalCa = (name: string) => {
    const r = dir.openssl('req', '-x509', ...EC_P256, '-nodes', '-keyout', `${name}.key`, '-subj', `/O=Partner/CN=${name}`, '-days', '30', '-out', `${name}.pem`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    if (r.status !== 0) throw new Error(r.output);
    return dir.read(`${name}.pem`).toString();
  };

  it('accepts a certificate from our intermediate and maps it to its SAN URI principal', () => {
    const result = verifyClientCertificate(own, alice.pem);
    expect(result).toMatchObject({ ok: true, principal: 'am://user/hpe/alice', anchor: 'own' });
  });

  it('rejects expired, not-yet-valid and revoked certificates with the reason', () => {
    const after = new Date(alice.notAfter.getTime() + 1000);
    expect(verifyClientCertificate(own, alice.pem, { now: after })).toMatchObject({ ok: false, reason: 'expired' });
    const before = new Date(alice.notBefore.getTime() - 1000);
    expect(verifyClientCertificate(own, alice.pem, { now: before })).toMatchObject({ ok: false, reason: 'not-yet-valid' });
    expect(verifyClientCertificate(own, alice.pem, { revoked: new Set([alice.serialHex]) })).toMatchObject({ ok: false, reason: 'revoked' });
    expect(verifyClientCertificate(own, alice.pem, { revoked: (serial, issuer) => serial === alice.serialHex && issuer === own.anchors[0].certificate })).toMatchObject({ reason: 'revoked' });
    expect(verifyClientCertificate(own, alice.pem, { revoked: new Set(['1234']) })).toMatchObject({ ok: true });
  });

  it('rejects a certificate without EKU clientAuth, or without any EKU', () => {
    const serverOnly = opensslLeaf('server-only', 'int', ['extendedKeyUsage=serverAuth', 'subjectAltName=URI:am://workload/hpe/web']);
    expect(verifyClientCertificate(own, serverOnly)).toMatchObject({ ok: false, reason: 'wrong-eku' });
    const noEku = opensslLeaf('no-eku', 'int', ['subjectAltName=URI:am://user/hpe/noeku']);
    expect(verifyClientCertificate(own, noEku)).toMatchObject({ ok: false, reason: 'wrong-eku' });
    const good = opensslLeaf('openssl-made', 'int', ['extendedKeyUsage=clientAuth', 'subjectAltName=URI:am://user/hpe/dave']);
    expect(verifyClientCertificate(own, good)).toMatchObject({ ok: true, principal: 'am://user/hpe/dave' });
  });

  it('rejects certificates from an untrusted CA, CA certificates, tampered and garbage input', () => {
    const other = createCaHierarchy({ organization: 'Evil' });
    const foreign = signCsr(other.intermediate.authority, csr, { principal: 'am://user/hpe/alice' });
    expect(verifyClientCertificate(own, foreign.pem)).toMatchObject({ ok: false, reason: 'untrusted' });
    // Same issuer name and key id, but signed by another key.
    const impostorCa = { ...other.intermediate.authority, certificate: ca.certificate, authorityKeyIdExtension: ca.authorityKeyIdExtension };
    const impostor = signCsr(impostorCa, csr, { principal: 'am://user/hpe/alice' });
    expect(verifyClientCertificate(own, impostor.pem)).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifyClientCertificate(own, intermediate.certificatePem)).toMatchObject({ ok: false, reason: 'not-a-leaf' });
    expect(verifyClientCertificate(own, 'garbage')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verifyClientCertificate(own, alice.der.subarray(0, 100))).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('follows a presented intermediate up to a trusted root, enforcing validity and pathLen', () => {
    const rootOnly = createTrustStore({ anchors: [{ certificate: root.certificatePem }] });
    expect(verifyClientCertificate(rootOnly, alice.pem)).toMatchObject({ ok: false, reason: 'untrusted' });
    const ok = verifyClientCertificate(rootOnly, alice.pem, { intermediates: [intermediate.certificatePem] });
    expect(ok).toMatchObject({ ok: true, principal: 'am://user/hpe/alice' });
    expect(ok.ok && ok.chain.length).toBe(3);
    expect(verifyClientCertificate(rootOnly, alice.pem, { intermediates: [intermediate.certificatePem], revoked: new Set([intermediate.authority.certificate.serialHex]) })).toMatchObject({ reason: 'revoked' });
  });

  it('maps external CA certificates by subject template or restricted SAN URI', () => {
    externalCa('partner-ca');
    const bob = opensslLeaf('bob', 'partner-ca', ['extendedKeyUsage=clientAuth', 'subjectAltName=URI:am://user/hpe/admin'], '/O=Partner/CN=bob.smith');
    const byTemplate = createTrustStore({ anchors: [{ certificate: dir.read('partner-ca.pem'), mapping: { kind: 'subject-template', template: 'am://user/partner/{CN}' } }] });
    expect(verifyClientCertificate(byTemplate, bob)).toMatchObject({ ok: true, principal: 'am://user/partner/bob.smith' });
    const byUri = createTrustStore({ anchors: [{ certificate: dir.read('partner-ca.pem'), mapping: { kind: 'san-uri', allowedPrefixes: ['am://user/partner/'] } }] });
    expect(verifyClientCertificate(byUri, bob)).toMatchObject({ ok: false, reason: 'no-principal' });
    const sneaky = opensslLeaf('sneaky', 'partner-ca', ['extendedKeyUsage=clientAuth'], '/CN=..');
    expect(verifyClientCertificate(byTemplate, sneaky)).toMatchObject({ ok: false, reason: 'no-principal' });
    expect(() => createTrustStore({ anchors: [{ certificate: alice.pem }] })).toThrow(/not a CA/);
    expect(() => createTrustStore({ anchors: [{ certificate: root.certificatePem, mapping: { kind: 'subject-template', template: 'am://role/{CN}' } }] })).toThrow(/template/);
  });

  it('accepts a registered self-signed client certificate by its SHA-256 fingerprint', () => {
    dir.openssl('req', '-x509', ...EC_P256, '-nodes', '-keyout', 'self.key', '-subj', '/CN=self', '-days', '5', '-out', 'self.pem', '-addext', 'extendedKeyUsage=clientAuth', '-addext', 'basicConstraints=critical,CA:FALSE');
    const self = dir.read('self.pem');
    const fingerprint = certificateFingerprint(self);
    expect(dir.openssl('x509', '-in', 'self.pem', '-noout', '-fingerprint', '-sha256').stdout.trim()).toBe(`sha256 Fingerprint=${formatFingerprint(fingerprint)}`);
    expect(verifyClientCertificate(own, self)).toMatchObject({ ok: false, reason: 'untrusted' });
    const pinned = createTrustStore({ anchors: [], pinned: [{ fingerprint: formatFingerprint(fingerprint), principal: 'am://user/hpe/selfie' }] });
    expect(verifyClientCertificate(pinned, self)).toMatchObject({ ok: true, principal: 'am://user/hpe/selfie', anchor: 'pinned' });
    expect(verifyClientCertificate(pinned, self, { now: new Date(Date.now() + 10 * 86_400_000) })).toMatchObject({ ok: false, reason: 'expired' });
  });
});
