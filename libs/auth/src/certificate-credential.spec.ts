import { createCaHierarchy, createTrustStore, issueWithGeneratedKey, verifyClientCertificate, type VerifyOptions } from '@am/crypto';
import { createPrivateKey } from 'node:crypto';
import { AccessEngine } from '@am/engine';
import { UnauthenticatedError } from '@am/model';
import { CallerResolver } from './caller-resolver';
import { certificateCredential as attested, parseCertificateCredential, type CertificateVerifier, type CredentialAttestor } from './certificate-credential';

const leaf = (path: string) => ({ path, annotations: [{ tag: 'leaf', unique: 1n, version: 1, startMillis: 0, endMillis: 0, data: '' } as never] });
const engine = AccessEngine.fromUniverse({
  nodes: [{ path: 'am://', annotations: [] }, { path: 'am://user', annotations: [] }, leaf('am://user/alice')],
});

/** A verifier like PkiView: our issuing CA as anchor, a mutable revocation set, a revision that moves on change. */
class FakeView implements CertificateVerifier {
  revision = 1;
  readonly revoked = new Set<string>();
  calls = 0;
  constructor(private readonly issuingPem: string) {}
  verify(presented: Buffer, options: Omit<VerifyOptions, 'revoked'> = {}) {
    this.calls++;
    return verifyClientCertificate(createTrustStore({ anchors: [{ certificate: this.issuingPem, label: 'am-issuing-ca' }] }), presented, { ...options, revoked: this.revoked });
  }
}

describe('certificate credentials (x509:<base64 DER>)', () => {
  const { intermediate } = createCaHierarchy({});
  const view = new FakeView(intermediate.certificatePem);
  const GATEWAY = 'am://workload/access-manager/gateway';
  const resolver = new CallerResolver(() => engine, { get: () => undefined } as never, { allowDemoIdentities: false, certificates: view, certificateAttestor: GATEWAY });
  const issue = (principal: string, profile: 'client' | 'server' = 'client', ca = intermediate.authority) =>
    issueWithGeneratedKey(ca, { principal, profile, ...(profile === 'server' ? { dnsNames: ['localhost'] } : {}) });
  const attestorFrom = (issued: ReturnType<typeof issue>): CredentialAttestor => ({ certificateDer: issued.der, privateKey: createPrivateKey(issued.privateKeyPem) });
  const gateway = attestorFrom(issue(GATEWAY, 'server'));
  const certificateCredential = (der: Buffer, nowMs = Date.now()) => attested(gateway, der, [], nowMs);
  const alice = issueWithGeneratedKey(intermediate.authority, { principal: 'am://user/alice', validitySeconds: 3600 });

  it('resolves a certificate of our CA to its principal, and caches until the trust state moves', () => {
    const cred = certificateCredential(alice.der);
    expect(resolver.resolve(cred, Date.now())).toMatchObject({ principal: 'am://user/alice', via: 'certificate', certificate: { serial: alice.serialHex } });
    const calls = view.calls;
    resolver.resolve(certificateCredential(alice.der), Date.now());
    expect(view.calls).toBe(calls);
    view.revoked.add(alice.serialHex);
    view.revision++;
    expect(() => resolver.resolve(cred, Date.now())).toThrow(/client certificate rejected \(revoked\)/);
    view.revoked.delete(alice.serialHex);
    view.revision++;
  });

  it('refuses expired certificates, principals not in the tree, delegation use and malformed credentials', () => {
    const cred = certificateCredential(alice.der);
    const late = alice.notAfter.getTime() + 1000;
    expect(() => resolver.resolve(certificateCredential(alice.der, late), late)).toThrow(/\(expired\)/);
    expect(() => resolver.resolve(certificateCredential(issue('am://user/bob').der), Date.now())).toThrow(new UnauthenticatedError('am://user/bob not found'));
    expect(() => resolver.resolve(cred, Date.now(), 'delegation')).toThrow(/not a delegation credential/);
    expect(() => resolver.resolve('x509:not base64!', Date.now())).toThrow(/\(malformed\)/);
    expect(() => resolver.resolve('x509:AAAA', Date.now())).toThrow(/\(malformed\)/);
    expect(parseCertificateCredential(`x509:${Array(6).fill('AAAA').join(',')};AAAA;1;AAAA`)).toEqual({ error: expect.stringMatching(/at most 4/) });
  });

  it('accepts only fresh credentials attested by a live gateway certificate of this PKI', () => {
    // A bare certificate proves nothing: anyone can have a copy of it.
    expect(() => resolver.resolve(`x509:${alice.der.toString('base64')}`, Date.now())).toThrow(/made by the gateway/);
    expect(() => resolver.resolve(certificateCredential(alice.der, Date.now() - 61_000), Date.now())).toThrow(/\(attestation\).*stale/);
    // Signed by a key that is not the attesting certificate's, or the certificate part swapped.
    const forged = attested({ ...gateway, privateKey: createPrivateKey(issue('am://user/alice').privateKeyPem) }, alice.der);
    expect(() => resolver.resolve(forged, Date.now())).toThrow(/signature does not verify/);
    const bob = issue('am://user/bob');
    const swapped = certificateCredential(bob.der).replace(/^x509:[^;]+/, `x509:${alice.der.toString('base64')}`);
    expect(() => resolver.resolve(swapped, Date.now())).toThrow(/signature does not verify/);
    // Attested by someone else than the gateway principal, or by a gateway certificate of another CA, or a revoked one.
    const byAlice = attested(attestorFrom(alice), alice.der);
    expect(() => resolver.resolve(byAlice, Date.now())).toThrow(/only am:\/\/workload\/access-manager\/gateway/);
    const foreign = attestorFrom(issue(GATEWAY, 'server', createCaHierarchy({}).intermediate.authority));
    expect(() => resolver.resolve(attested(foreign, alice.der), Date.now())).toThrow(/attesting certificate is not accepted.*no trusted issuer/);
    const revokedGateway = issue(GATEWAY, 'server');
    const cred = attested(attestorFrom(revokedGateway), alice.der);
    expect(resolver.resolve(cred, Date.now()).principal).toBe('am://user/alice');
    view.revoked.add(revokedGateway.serialHex);
    view.revision++;
    expect(() => resolver.resolve(cred, Date.now())).toThrow(/attesting certificate is not accepted.*revoked/);
  });

  it('refuses a certificate from another CA, and all certificates when no verifier is configured', () => {
    const other = createCaHierarchy({}).intermediate.authority;
    const stranger = issueWithGeneratedKey(other, { principal: 'am://user/alice' });
    expect(() => resolver.resolve(certificateCredential(stranger.der), Date.now())).toThrow(/\(untrusted\)/);
    const plain = new CallerResolver(() => engine, { get: () => undefined } as never, { allowDemoIdentities: true });
    expect(() => resolver.resolve(certificateCredential(stranger.der).replace(/;\d+;/, ';x;'), Date.now())).toThrow(/\(malformed\)/);
    expect(() => plain.resolve(certificateCredential(alice.der), Date.now())).toThrow(/not accepted/);
  });
});
