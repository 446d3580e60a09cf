import {
  annotateContract,
  caContract,
  fetchCrl,
  gatewayServerCertificateContract,
  initCaContract,
  issueCertificateContract,
  pinContract,
  PKI_EVENTS_SUBJECT,
  PkiEventView,
  revokeContract,
  signCsrContract,
  trustAddContract,
  trustListContract,
  trustRemoveContract,
  unpinContract,
  type BusClient,
} from '@am/bus';
import { MasterKey } from '@am/crypto';
import { caKeyPurpose, CaKeysRecord, PkiView } from '@am/pki-state';
import { connectBus, loadConfig } from '@am/runtime';
import { TestInfra } from '@am/testing';
import { policySettings, startPolicy } from '@apps/policy';
import type { Etcd3 } from 'etcd3';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { join } from 'node:path';
import { pkiSettings, startPki } from '../src/start';
import { EC_P256, Openssl, RSA_2048 } from './openssl';

jest.setTimeout(60_000);

const ALICE = 'am://user/hpe/bu1/alice';
const BOB = 'am://user/hpe/bu1/bob';
const GOD = 'am://user/demo-god';
const OPERATOR = 'am://user/the-operator';
const PLUGIN = 'am://workload/yoyodyne/id-plugin';
const YOYO_BOB = 'am://user/yoyodyne/bob';
const INGESTER = 'am://workload/hpe/bu1/ingester';

type Pki = Awaited<ReturnType<typeof startPki>>;

describe('pki service over real etcd, NATS, policy and openssl', () => {
  let infra: TestInfra;
  let pki: Pki;
  let bus: BusClient;
  let ssl: Openssl;
  let etcd: Etcd3;
  let nats: NatsConnection;
  /** A verifier's view of the live trust state, as the gateway would keep it. */
  let gatewayView: PkiView;
  const events: PkiEventView[] = [];
  const pkiEnv = (extra: Record<string, string> = {}) => loadConfig(pkiSettings, infra.env('pki', { AM_MASTER_KEY_FILE: join(infra.dir, 'master.key'), ...extra }));

  beforeAll(async () => {
    // '/manual/': a pki without auto-init on its own prefix (below).
    infra = await TestInfra.start({ etcdPrefixes: ['/am/', '/manual/'] });
    ssl = await Openssl.create();
    infra.track(await startPolicy(loadConfig(policySettings, infra.env('policy', { AM_BOOT_UNIVERSE: 'new_sample' }))));
    pki = infra.track(await startPki(pkiEnv()));
    const gw = infra.env('gateway');
    bus = infra.track(await connectBus({ AM_NATS_URL: [infra.nats.url], AM_NATS_USER: gw.AM_NATS_USER, AM_NATS_PASSWORD: gw.AM_NATS_PASSWORD }, 'pki-test', 15_000)).bus;
    nats = await connect({ servers: infra.nats.url, user: gw.AM_NATS_USER, pass: gw.AM_NATS_PASSWORD });
    const codec = JSONCodec<{ data: unknown }>();
    nats.subscribe(`${PKI_EVENTS_SUBJECT}.>`, { callback: (_err, msg) => events.push(PkiEventView.parse(codec.decode(msg.data).data)) });
    etcd = infra.etcdClient();
    gatewayView = new PkiView(etcd, '/am/', { recordKey: infra.records.pki });
    await gatewayView.start();
  });

  afterAll(async () => {
    await gatewayView?.stop();
    etcd?.close();
    await nats?.close();
    await infra?.stop();
    await ssl?.cleanup();
  });

  const sign = (credential: string, principal: string, csr: string, extra: { dns?: string[]; ip?: string[] } = {}) =>
    bus.request(signCsrContract, { credential, principal, csr, ...extra });

  /** A request the way a Nest NATS client frames it, without the client-side contract check. */
  async function rawRequest(subject: string, data: unknown): Promise<unknown> {
    const codec = JSONCodec<{ response?: unknown }>();
    const msg = await nats.request(subject, JSONCodec().encode({ pattern: subject, data, id: `raw-${Date.now()}` }), { timeout: 10_000 });
    return codec.decode(msg.data).response;
  }

  async function chainFile(): Promise<string> {
    await ssl.write('chain.pem', (await bus.request(caContract, {})).chain);
    return 'chain.pem';
  }

  async function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('creates the CA on first start and serves the chain (issuing CA, then root)', async () => {
    const ca = await bus.request(caContract, {});
    expect(ca.keyType).toBe('ec-p256');
    expect(ca.chain).toBe(ca.issuing + ca.root);
    await ssl.write('root.pem', ca.root);
    await ssl.write('issuing.pem', ca.issuing);
    expect((await ssl.ok('verify', '-CAfile', 'root.pem', 'issuing.pem')).stdout).toContain('issuing.pem: OK');
    expect((await ssl.ok('x509', '-in', 'root.pem', '-noout', '-text')).stdout).toMatch(/ASN1 OID: prime256v1[\s\S]*CA:TRUE/);
  });

  it('signs an openssl EC CSR for the caller itself: openssl verifies it, SAN URI = principal, EKU clientAuth only', async () => {
    const csr = await ssl.csr('alice-ec', EC_P256);
    const r = await sign(ALICE, ALICE, csr);
    expect(r.principal).toBe(ALICE);
    expect(r.serial).toMatch(/^[0-9a-f]{1,32}$/);
    expect(Date.parse(r.notAfter) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    await ssl.write('alice-ec.pem', r.certificate);
    expect((await ssl.ok('verify', '-CAfile', await chainFile(), 'alice-ec.pem')).stdout).toContain('alice-ec.pem: OK');
    const text = (await ssl.ok('x509', '-in', 'alice-ec.pem', '-noout', '-text', '-serial')).stdout;
    expect(text).toContain(`URI:${ALICE}`);
    expect(text).toContain('TLS Web Client Authentication');
    expect(text).not.toContain('TLS Web Server Authentication');
    expect(text.toLowerCase()).toContain(`serial=${r.serial.padStart(r.serial.length + (r.serial.length % 2), '0')}`);
    const issued = await eventually('the issued event', () => events.find((e) => e.kind === 'issued' && e.serial === r.serial));
    expect(issued).toMatchObject({ principal: ALICE, actor: ALICE, profile: 'client', fingerprint: r.fingerprint });
    expect(issued.seq).toBe(r.revision);
  });

  it('signs an RSA-2048 CSR, and a workload server certificate with the requested DNS/IP names', async () => {
    const rsa = await sign(ALICE, ALICE, await ssl.csr('alice-rsa', RSA_2048));
    await ssl.write('alice-rsa.pem', rsa.certificate);
    expect((await ssl.ok('verify', '-CAfile', await chainFile(), 'alice-rsa.pem')).stdout).toContain('OK');

    const ingesterCsr = await ssl.csr('ingester', EC_P256);
    await expect(sign(INGESTER, INGESTER, ingesterCsr, { dns: ['ingest.example.com'] })).rejects.toMatchObject({ code: 'permission-denied' });
    // alice administers the workload (no ACE restricts ADMIN on it in new_sample) and grants it the names.
    await bus.request(annotateContract, { credential: ALICE, path: INGESTER, annotation: { tag: 'cert-names', data: 'DNS:ingest.example.com IP:10.1.2.3' } });
    const server = await sign(INGESTER, INGESTER, ingesterCsr, { dns: ['ingest.example.com'], ip: ['10.1.2.3'] });
    await ssl.write('ingester.pem', server.certificate);
    expect((await ssl.ok('verify', '-purpose', 'sslserver', '-CAfile', 'chain.pem', 'ingester.pem')).stdout).toContain('OK');
    const text = (await ssl.ok('x509', '-in', 'ingester.pem', '-noout', '-ext', 'subjectAltName,extendedKeyUsage')).stdout;
    expect(text).toContain('DNS:ingest.example.com');
    expect(text).toContain('IP Address:10.1.2.3');
    expect(text).toContain(`URI:${INGESTER}`);
    expect(text).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    // Server names for a user: refused by the stated rule.
    await expect(sign(ALICE, ALICE, await ssl.csr('alice-srv', EC_P256), { dns: ['alice.example.com'] })).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it("names in server certificates: only granted ones, never the gateway's (attack: openssl CSRs for localhost / 127.0.0.1 / ::1)", async () => {
    const DASHBOARD = 'am://workload/hpe/bu1/dashboard';
    const hostile = await ssl.csr('dash-lo', EC_P256, ['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1']);
    // Granted in the tree or not, the gateway's names are refused with the name named.
    await bus.request(annotateContract, { credential: ALICE, path: 'am://workload/hpe/bu1', annotation: { tag: 'cert-names', data: 'DNS:*.bu1.example.com DNS:localhost IP:127.0.0.0/8' } });
    for (const [names, shown] of [
      [{ dns: ['localhost'] }, 'DNS:localhost'],
      [{ dns: ['LOCALHOST'] }, 'DNS:localhost'],
      [{ ip: ['127.0.0.1'] }, 'IP:127.0.0.1'],
      [{ ip: ['0:0:0:0:0:0:0:1'] }, 'IP:::1'],
    ] as const) {
      await expect(sign(DASHBOARD, DASHBOARD, hostile, { ...names })).rejects.toMatchObject({ code: 'permission-denied', message: `certificate name "${shown}" is reserved for the gateway` });
    }
    await expect(sign(DASHBOARD, DASHBOARD, hostile, { dns: ['bank.example.com'] })).rejects.toMatchObject({
      code: 'permission-denied',
      message: expect.stringContaining(`certificate name "DNS:bank.example.com" is not granted to ${DASHBOARD}`),
    });
    await expect(bus.request(issueCertificateContract, { credential: DASHBOARD, principal: DASHBOARD, dns: ['a.b.bu1.example.com'] })).rejects.toMatchObject({
      code: 'permission-denied',
      message: expect.stringContaining('"DNS:a.b.bu1.example.com" is not granted'),
    });
    // A CSR's own SAN request is never copied: the certificate holds exactly the granted names asked for.
    await bus.request(annotateContract, { credential: ALICE, path: DASHBOARD, annotation: { tag: 'cert-names', data: 'DNS:dash.example.com' } });
    const ok = await sign(DASHBOARD, DASHBOARD, hostile, { dns: ['dash.example.com', 'Web.Bu1.Example.com'] });
    await ssl.write('dash.pem', ok.certificate);
    const san = (await ssl.ok('x509', '-in', 'dash.pem', '-noout', '-ext', 'subjectAltName')).stdout;
    expect(san.split('\n')[1].trim().split(', ').sort()).toEqual(['DNS:dash.example.com', 'DNS:web.bu1.example.com', `URI:${DASHBOARD}`]);
    // Client certificates (no names) need no grant.
    expect((await sign(ALICE, ALICE, await ssl.csr('alice-plain', EC_P256))).principal).toBe(ALICE);

    // The gateway's own request keeps its reserved names.
    const gw = await bus.request(gatewayServerCertificateContract, { csr: await ssl.csr('gw', EC_P256), dns: ['localhost'], ip: ['127.0.0.1', '::1'] });
    await ssl.write('gw.pem', gw.certificate);
    const gwSan = (await ssl.ok('x509', '-in', 'gw.pem', '-noout', '-ext', 'subjectAltName')).stdout;
    expect(gwSan).toContain('DNS:localhost');
    expect(gwSan).toContain('IP Address:127.0.0.1');
    expect(gwSan).toContain('URI:am://workload/access-manager/gateway');
  });

  it('AM_PKI_RESERVED_NAMES must be DNS:/IP: names', () => {
    expect(() => pkiEnv({ AM_PKI_RESERVED_NAMES: 'localhost' })).toThrow(/AM_PKI_RESERVED_NAMES/);
    expect(pkiEnv({ AM_PKI_RESERVED_NAMES: 'DNS:gw.example.com, IP:10.0.0.0/8' }).AM_PKI_RESERVED_NAMES).toEqual(['DNS:gw.example.com', 'IP:10.0.0.0/8']);
  });

  it('nobody gets a certificate for a principal they cannot vouch for; a plugin with VOUCHFOR can', async () => {
    const csr = await ssl.csr('other', EC_P256);
    // alice administers bob, but VOUCHFOR is default-deny: no certificate for bob.
    await expect(sign(ALICE, BOB, csr)).rejects.toMatchObject({ code: 'permission-denied' });
    await expect(sign(BOB, ALICE, csr)).rejects.toMatchObject({ code: expect.stringMatching(/permission-denied|not-found/) });
    await expect(sign(GOD, OPERATOR, csr)).rejects.toMatchObject({ code: 'permission-denied' });
    await expect(sign(OPERATOR, YOYO_BOB, csr)).rejects.toMatchObject({ code: 'not-found' });
    await expect(sign('am://user/nobody', ALICE, csr)).rejects.toMatchObject({ code: expect.stringMatching(/not-found|unauthenticated/) });
    await expect(bus.request(issueCertificateContract, { credential: ALICE, principal: BOB })).rejects.toMatchObject({ code: 'permission-denied' });
    const vouched = await sign(PLUGIN, YOYO_BOB, csr);
    expect(vouched.principal).toBe(YOYO_BOB);
    expect(events.find((e) => e.serial === vouched.serial)?.actor ?? (await eventually('event', () => events.find((e) => e.serial === vouched.serial)))?.actor).toBe(PLUGIN);
  });

  it('refuses hostile CSRs as invalid-argument and keeps serving', async () => {
    const good = await ssl.csr('hostile-base', EC_P256);
    const der = Buffer.from(good.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const pem = (b: Buffer) => `-----BEGIN CERTIFICATE REQUEST-----\n${b.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    const badSignature = Buffer.from(der);
    badSignature[badSignature.length - 5] ^= 0x01;
    await ssl.ok('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', 'weak.key');
    await ssl.ok('req', '-new', '-key', 'weak.key', '-subj', '/CN=weak', '-out', 'weak.csr');
    const weak = (await ssl.read('weak.csr')).toString();
    const cases: [string, string, RegExp][] = [
      ['garbage', 'hello, I am a CSR', /./],
      ['truncated', pem(der.subarray(0, der.length - 20)), /./],
      ['wrong signature', pem(badSignature), /signature/],
      ['RSA-1024', weak, /1024 bits is too weak/],
      ['a certificate instead', (await bus.request(caContract, {})).issuing, /./],
    ];
    for (const [name, csr, message] of cases) {
      await expect(sign(ALICE, ALICE, csr).then(() => `${name} was signed`, (err) => Promise.reject(err))).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(message) });
    }
    // Huge: past the contract's bound (a client that skips validation, straight on NATS).
    const huge = `-----BEGIN CERTIFICATE REQUEST-----\n${'QUFB'.repeat(150_000)}\n-----END CERTIFICATE REQUEST-----\n`;
    for (const csr of [huge, huge.slice(0, 60_000)]) {
      const reply = await rawRequest(signCsrContract.subject, { credential: ALICE, principal: ALICE, csr });
      expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    }
    expect(await rawRequest(signCsrContract.subject, 'not even an object')).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    // Hostile certificates where the service takes one.
    const truncatedCert = (await bus.request(caContract, {})).issuing.slice(0, 300) + '\n-----END CERTIFICATE-----\n';
    for (const certificate of ['garbage', truncatedCert, pem(der)]) {
      await expect(bus.request(revokeContract, { credential: ALICE, certificate })).rejects.toMatchObject({ code: 'invalid-argument' });
      await expect(bus.request(pinContract, { credential: ALICE, principal: ALICE, certificate })).rejects.toMatchObject({ code: 'invalid-argument' });
      await expect(bus.request(trustAddContract, { credential: ALICE, certificate, mapping: { kind: 'subject-template', template: 'am://user/hpe/bu1/{CN}' } })).rejects.toMatchObject({
        code: 'invalid-argument',
      });
    }
    expect((await sign(ALICE, ALICE, good)).principal).toBe(ALICE);
  });

  it('revokes by serial (the subject) and by certificate (an admin): openssl -crl_check says revoked, the live view too', async () => {
    const csr = await ssl.csr('bob-key', EC_P256);
    const bobCert = await sign(BOB, BOB, csr);
    const aliceCert = await sign(ALICE, ALICE, await ssl.csr('alice-2', EC_P256));
    const keep = await sign(BOB, BOB, csr);
    await ssl.write('bob.pem', bobCert.certificate);
    await ssl.write('alice-2.pem', aliceCert.certificate);
    await ssl.write('keep.pem', keep.certificate);
    expect(gatewayView.verify(bobCert.certificate)).toMatchObject({ ok: true, principal: BOB });

    // bob may not revoke alice's certificate; alice administers bob and may revoke his.
    await expect(bus.request(revokeContract, { credential: BOB, serial: aliceCert.serial })).rejects.toMatchObject({ code: 'permission-denied' });
    const byAdmin = await bus.request(revokeContract, { credential: ALICE, certificate: bobCert.certificate, reason: 'keyCompromise' });
    expect(byAdmin).toMatchObject({ serial: bobCert.serial, principal: BOB, reason: 'keyCompromise' });
    const bySelf = await bus.request(revokeContract, { credential: ALICE, serial: aliceCert.serial.toUpperCase() });
    expect(bySelf.reason).toBe('unspecified');
    expect(BigInt(bySelf.crlNumber)).toBe(BigInt(byAdmin.crlNumber) + 1n);
    await expect(bus.request(revokeContract, { credential: ALICE, serial: aliceCert.serial })).rejects.toMatchObject({ code: 'already-exists' });
    await expect(bus.request(revokeContract, { credential: ALICE, serial: 'abcdef0123' })).rejects.toMatchObject({ code: 'not-found' });
    await expect(bus.request(revokeContract, { credential: ALICE, certificate: (await bus.request(caContract, {})).root })).rejects.toMatchObject({ code: 'invalid-argument' });

    const crl = await fetchCrl(bus);
    expect(crl.crlNumber).toBe(bySelf.crlNumber);
    expect(crl.pem.startsWith('-----BEGIN X509 CRL-----\n')).toBe(true);
    await ssl.write('crl.pem', crl.pem);
    await ssl.write('crl.der', crl.der);
    const chain = await chainFile();
    for (const revoked of ['bob.pem', 'alice-2.pem']) {
      const r = await ssl.run('verify', '-crl_check', '-CAfile', chain, '-CRLfile', 'crl.pem', revoked);
      expect(r.status).not.toBe(0);
      expect(r.output).toContain('certificate revoked');
    }
    expect((await ssl.ok('verify', '-crl_check', '-CAfile', chain, '-CRLfile', 'crl.pem', 'keep.pem')).stdout).toContain('keep.pem: OK');
    const text = (await ssl.ok('crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text', '-CAfile', chain)).output;
    expect(text).toContain('verify OK');
    expect(text).toContain('Key Compromise');

    // The verifier's view (what the gateway holds) sees it without any restart.
    const rejected = await eventually('the revocation at the gateway view', () => {
      const v = gatewayView.verify(bobCert.certificate);
      return v.ok ? undefined : v;
    });
    expect(rejected).toMatchObject({ ok: false, reason: 'revoked' });
    expect(gatewayView.verify(keep.certificate)).toMatchObject({ ok: true, principal: BOB });
    expect(gatewayView.crl()?.der.equals(crl.der)).toBe(true);
    await eventually('the revoked event', () => events.find((e) => e.kind === 'revoked' && e.serial === bobCert.serial && e.actor === ALICE && e.crlNumber === byAdmin.crlNumber));
  });

  it('issues with a server-generated key as a PKCS#12 that openssl opens with the password only', async () => {
    const r = await bus.request(issueCertificateContract, { credential: ALICE, principal: ALICE, pkcs12Password: 'correct horse' });
    expect(r.privateKey).toContain('-----BEGIN PRIVATE KEY-----');
    await ssl.write('issued.p12', Buffer.from(r.pkcs12!, 'base64'));
    const opened = await ssl.ok('pkcs12', '-info', '-in', 'issued.p12', '-passin', 'pass:correct horse', '-nodes');
    expect(opened.stdout).toContain('-----BEGIN CERTIFICATE-----');
    expect(opened.stdout).toContain('PRIVATE KEY-----');
    expect(opened.stdout).toContain(ALICE);
    const wrong = await ssl.run('pkcs12', '-info', '-in', 'issued.p12', '-passin', 'pass:wrong horse', '-nodes');
    expect(wrong.status).not.toBe(0);
    expect(wrong.output.toLowerCase()).toMatch(/mac verify|invalid password/);
    await ssl.write('issued.pem', r.certificate);
    expect((await ssl.ok('verify', '-CAfile', await chainFile(), 'issued.pem')).stdout).toContain('OK');

    const rsa = await bus.request(issueCertificateContract, { credential: ALICE, principal: ALICE, keyType: 'rsa-2048' });
    await ssl.write('issued-rsa.key', rsa.privateKey);
    expect((await ssl.ok('pkey', '-in', 'issued-rsa.key', '-noout', '-text')).stdout).toContain('2048 bit');
    await expect(bus.request(issueCertificateContract, { credential: ALICE, principal: ALICE, pkcs12Password: 'abc' })).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('trusts an external CA with a subject template (ADMIN on its area), maps its certificates, and removes it', async () => {
    await ssl.ok('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ext-ca.key', '-subj', '/CN=Partner CA', '-days', '30',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'ext-ca.pem');
    await ssl.ok('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'partner.key', '-subj', '/CN=charlie', '-out', 'partner.csr');
    await ssl.write('client.ext', 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n');
    await ssl.ok('x509', '-req', '-in', 'partner.csr', '-CA', 'ext-ca.pem', '-CAkey', 'ext-ca.key', '-CAcreateserial', '-days', '5', '-extfile', 'client.ext', '-out', 'partner.pem');
    const caPem = (await ssl.read('ext-ca.pem')).toString();
    const partner = (await ssl.read('partner.pem')).toString();
    const mapping = { kind: 'subject-template' as const, template: 'am://user/hpe/bu1/{CN}' };

    expect(gatewayView.verify(partner)).toMatchObject({ ok: false, reason: 'untrusted' });
    await expect(bus.request(trustAddContract, { credential: BOB, certificate: caPem, mapping })).rejects.toMatchObject({ code: 'permission-denied' });
    await expect(bus.request(trustAddContract, { credential: ALICE, certificate: partner, mapping })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(bus.request(trustAddContract, { credential: ALICE, certificate: caPem, mapping: { kind: 'subject-template', template: 'am://user/{CN}/../x' } })).rejects.toMatchObject({ code: 'invalid-argument' });
    const added = await bus.request(trustAddContract, { credential: ALICE, certificate: caPem, mapping, label: 'partner' });
    expect(added.anchor).toMatchObject({ label: 'partner', subject: 'CN=Partner CA', mapping, addedBy: ALICE });
    await expect(bus.request(trustAddContract, { credential: ALICE, certificate: caPem, mapping })).rejects.toMatchObject({ code: 'already-exists' });
    expect((await bus.request(trustListContract, { credential: BOB })).anchors.map((a) => a.fingerprint)).toEqual([added.anchor.fingerprint]);

    const mapped = await eventually('the anchor at the gateway view', () => {
      const v = gatewayView.verify(partner);
      return v.ok ? v : undefined;
    });
    expect(mapped.principal).toBe('am://user/hpe/bu1/charlie');

    await expect(bus.request(trustRemoveContract, { credential: BOB, fingerprint: added.anchor.fingerprint })).rejects.toMatchObject({ code: 'permission-denied' });
    await bus.request(trustRemoveContract, { credential: ALICE, fingerprint: added.anchor.fingerprint });
    expect((await bus.request(trustListContract, { credential: ALICE })).anchors).toEqual([]);
    await eventually('the removal at the gateway view', () => (gatewayView.verify(partner).ok ? undefined : true));
    expect(events.filter((e) => e.kind === 'trust-added' || e.kind === 'trust-removed').map((e) => e.kind)).toEqual(['trust-added', 'trust-removed']);
  });

  it('registers a self-signed client certificate on its principal by fingerprint, and removes it', async () => {
    await ssl.ok('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'self.key', '-subj', '/CN=alice laptop', '-days', '10',
      '-addext', 'extendedKeyUsage=clientAuth', '-addext', 'basicConstraints=CA:FALSE', '-out', 'self.pem');
    const self = (await ssl.read('self.pem')).toString();
    await ssl.ok('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'noeku.key', '-subj', '/CN=no eku', '-days', '10', '-addext', 'basicConstraints=CA:FALSE', '-out', 'noeku.pem');

    await expect(bus.request(pinContract, { credential: BOB, principal: ALICE, certificate: self })).rejects.toMatchObject({ code: expect.stringMatching(/permission-denied|not-found/) });
    await expect(bus.request(pinContract, { credential: ALICE, principal: ALICE, certificate: (await ssl.read('noeku.pem')).toString() })).rejects.toMatchObject({
      code: 'invalid-argument',
      message: expect.stringContaining('clientAuth'),
    });
    const pinned = await bus.request(pinContract, { credential: ALICE, principal: ALICE, certificate: self });
    expect(pinned.pinned).toMatchObject({ principal: ALICE, subject: 'CN=alice laptop', addedBy: ALICE });
    expect(gatewayView.verify(self)).toMatchObject({ ok: true, principal: ALICE, anchor: 'pinned' });
    await expect(bus.request(pinContract, { credential: ALICE, principal: ALICE, fingerprint: pinned.pinned.fingerprint.toUpperCase() })).rejects.toMatchObject({ code: 'already-exists' });
    expect((await bus.request(trustListContract, { credential: ALICE })).pinned.map((p) => p.principal)).toEqual([ALICE]);
    // Listing shows only what the caller can see: the yoyodyne plugin cannot see alice.
    expect((await bus.request(trustListContract, { credential: PLUGIN })).pinned).toEqual([]);

    await expect(bus.request(unpinContract, { credential: BOB, fingerprint: pinned.pinned.fingerprint })).rejects.toMatchObject({ code: 'permission-denied' });
    await bus.request(unpinContract, { credential: ALICE, fingerprint: pinned.pinned.fingerprint });
    expect(gatewayView.verify(self)).toMatchObject({ ok: false, reason: 'untrusted' });
  });

  it('re-issues the CRL at half-life, so every replica serves a fresh one', async () => {
    const before = await fetchCrl(bus);
    expect(await pki.service.refreshCrlIfDue(new Date())).toBe(false);
    expect(await pki.service.refreshCrlIfDue(new Date(Date.now() + 13 * 3600_000))).toBe(true);
    const after = await fetchCrl(bus);
    expect(BigInt(after.crlNumber)).toBe(BigInt(before.crlNumber) + 1n);
    expect(after.entries).toBe(before.entries);
    await ssl.write('refreshed.crl', after.der);
    expect((await ssl.ok('crl', '-inform', 'DER', '-in', 'refreshed.crl', '-noout', '-CAfile', await chainFile())).output).toContain('verify OK');
  });

  it('keeps the CA private keys sealed in etcd, refuses a second init, and keeps the CA across a restart', async () => {
    const raw = await etcd.get('/am/pki/keys/ca').string();
    const record = CaKeysRecord.parse(JSON.parse(raw!));
    const masterKey = await MasterKey.load(join(infra.dir, 'master.key'));
    const der = masterKey.open(Buffer.from(record.issuing, 'base64'), caKeyPurpose('/am/pki/keys/ca', record.caId, 'issuing'));
    expect(der.length).toBeGreaterThan(60);
    for (const key of ['/am/pki/keys/ca', '/am/pki/live/ca']) {
      const value = (await etcd.get(key).string())!;
      expect(value).not.toContain('PRIVATE KEY');
      expect(value).not.toContain(der.toString('base64').slice(0, 40));
      expect(value).not.toContain(der.toString('hex').slice(0, 40));
    }
    // Sealed values are bound to their purpose: the root's ciphertext does not open as the issuing key.
    expect(() => masterKey.open(Buffer.from(record.root, 'base64'), caKeyPurpose('/am/pki/keys/ca', record.caId, 'issuing'))).toThrow();

    await expect(bus.request(initCaContract, { credential: ALICE })).rejects.toMatchObject({ code: 'permission-denied' });
    await expect(bus.request(initCaContract, { credential: OPERATOR })).rejects.toMatchObject({ code: 'already-exists' });

    const chainBefore = (await bus.request(caContract, {})).chain;
    await pki.close();
    // As written before records were signed: a restart signs it again, once proven ours by the sealed keys.
    const { auth, ...unsigned } = JSON.parse((await etcd.get('/am/pki/live/ca').string())!) as Record<string, unknown>;
    expect(auth).toEqual(expect.any(String));
    await etcd.put('/am/pki/live/ca').value(JSON.stringify(unsigned));
    await eventually('the verifier to stop trusting the unsigned CA record', () => (gatewayView.ca ? undefined : true));
    pki = infra.track(await startPki(pkiEnv()));
    expect(infra.records.pki.open('/am/pki/live/ca', JSON.parse((await etcd.get('/am/pki/live/ca').string())!))).toEqual(unsigned);
    await eventually('the verifier to trust it again', () => gatewayView.ca);
    expect((await bus.request(caContract, {})).chain).toBe(chainBefore);
    const after = await sign(ALICE, ALICE, await ssl.csr('after-restart', EC_P256));
    await ssl.write('after-restart.pem', after.certificate);
    expect((await ssl.ok('verify', '-CAfile', await chainFile(), 'after-restart.pem')).stdout).toContain('OK');
  });

  it('serves a CRL larger than one NATS message in parts that reassemble into what openssl verifies', async () => {
    // 20,000 revocations written as records (the way a long-lived CA accumulates them), then a refresh signs them.
    const layout = pki.view.layout;
    const notAfter = new Date(Date.now() + 30 * 86_400_000).toISOString();
    for (let i = 0; i < 20_000; i += 1000) {
      const ops = Array.from({ length: 1000 }, (_, j) => {
        const serial = (0x1000000 + i + j).toString(16);
        return etcd.put(layout.revoked(serial)).value(JSON.stringify({ serial, principal: BOB, revokedAt: new Date().toISOString(), reason: 'superseded', revokedBy: ALICE, notAfter }));
      });
      await etcd.if(layout.crl, 'Create', '>', 0).then(...ops).commit();
    }
    await eventually('the view to load the revocations', () => (pki.view.revocations.size >= 20_000 ? true : undefined));
    expect(await pki.service.refreshCrlIfDue(new Date(Date.now() + 100 * 3600_000))).toBe(true);
    const crl = await fetchCrl(bus);
    expect(crl.entries).toBeGreaterThanOrEqual(20_000);
    expect(crl.der.length).toBeGreaterThan(512 * 1024);
    await ssl.write('big.crl', crl.der);
    expect((await ssl.ok('crl', '-inform', 'DER', '-in', 'big.crl', '-noout', '-CAfile', await chainFile())).output).toContain('verify OK');
    expect(gatewayView.revocations.size).toBeGreaterThanOrEqual(20_000);
  });

  it('with AM_PKI_AUTO_INIT=false waits for `am pki init` (ADMIN on am://), then signs', async () => {
    // Its own key prefix; called directly (not over NATS) so it never answers the other tests' requests.
    const manual = await startPki(pkiEnv({ AM_ETCD_PREFIX: '/manual/', AM_PKI_AUTO_INIT: 'false', AM_PKI_KEY_TYPE: 'rsa-2048' }));
    try {
      expect(manual.view.ca).toBeUndefined();
      const csr = await ssl.csr('manual', EC_P256);
      await expect(manual.service.signCsr({ credential: ALICE, principal: ALICE, csr })).rejects.toMatchObject({ code: 'failed-precondition' });
      await expect(manual.service.initCa(ALICE)).rejects.toMatchObject({ code: 'permission-denied' });
      const created = await manual.service.initCa(OPERATOR, 'ec-p384');
      expect(created.keyType).toBe('ec-p384');
      await expect(manual.service.initCa(OPERATOR)).rejects.toMatchObject({ code: 'already-exists' });
      const signed = await manual.service.signCsr({ credential: ALICE, principal: ALICE, csr });
      await ssl.write('manual-chain.pem', created.chain);
      await ssl.write('manual.pem', signed.certificate);
      expect((await ssl.ok('verify', '-CAfile', 'manual-chain.pem', 'manual.pem')).stdout).toContain('OK');
    } finally {
      await manual.close();
    }
  });
});

describe('pki replicas starting together', () => {
  let infra: TestInfra;
  beforeAll(async () => {
    infra = await TestInfra.start();
  });
  afterAll(() => infra?.stop());

  it('create exactly one CA between them', async () => {
    const env = () => loadConfig(pkiSettings, infra.env('pki', { AM_MASTER_KEY_FILE: join(infra.dir, 'master.key'), AM_PKI_KEY_TYPE: 'rsa-2048' }));
    // Share one master key file (as replicas do); create it first so both read the same key.
    await MasterKey.load(join(infra.dir, 'master.key'), { create: true });
    const [a, b, c] = await Promise.all([startPki(env()), startPki(env()), startPki(env())]);
    infra.track(a);
    infra.track(b);
    infra.track(c);
    expect(a.view.ca?.record.id).toBeDefined();
    expect(new Set([a.view.ca?.record.id, b.view.ca?.record.id, c.view.ca?.record.id]).size).toBe(1);
    expect(a.view.ca?.record.keyType).toBe('rsa-2048');
    const etcd = infra.etcdClient();
    try {
      const created = (await etcd.getAll().prefix('/am/pki/events/').strings()) as Record<string, string>;
      expect(Object.values(created).filter((v) => JSON.parse(v).kind === 'ca-created')).toHaveLength(1);
    } finally {
      etcd.close();
    }
    // Each replica can sign with the one CA (its key unseals everywhere).
    for (const replica of [a, b, c]) expect((await replica.service.issuingCa()).certificate.fingerprint256).toBe(a.view.ca!.issuing.fingerprint256);
  });
});
