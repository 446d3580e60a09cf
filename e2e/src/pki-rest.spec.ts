import { api, Peers, startPkiStack } from './pki-peers';

const ALICE = 'am://user/hpe/bu1/alice';
const BOB = 'am://user/hpe/bu1/bob';
const OPERATOR = 'am://user/the-operator';

/** The /v1/pki REST routes with openssl as the peer (real stack in process). */
describe('REST /v1/pki (openssl)', () => {
  let stack: Awaited<ReturnType<typeof startPkiStack>>;
  let peers: Peers;
  const call = (method: string, path: string, opts: Parameters<typeof api>[3] = {}) => api(stack.url, method, path, opts);
  const expectProblem = (r: Awaited<ReturnType<typeof call>>, status: number, detail?: RegExp) => {
    expect(r.status).toBe(status);
    expect(r.type).toContain('application/problem+json');
    if (detail) expect(r.json.detail).toMatch(detail);
  };

  beforeAll(async () => {
    stack = await startPkiStack();
    peers = await Peers.create();
    const ca = await call('GET', '/v1/pki/ca');
    expect(ca.status).toBe(200);
    expect(ca.type).toContain('application/pem-certificate-chain');
    expect(ca.text.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
    await peers.write('chain.pem', ca.text);
  });
  afterAll(async () => {
    await stack?.stop();
    await peers?.cleanup();
  });

  it('openssl req CSR → POST /v1/pki/sign → openssl verify OK, EKU clientAuth and SAN URI; revoke → the CRL says revoked', async () => {
    await peers.openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'alice.key', '-subj', '/CN=alice', '-out', 'alice.csr');
    const signed = await call('POST', '/v1/pki/sign', { as: ALICE, body: { csr: await peers.read('alice.csr'), principal: ALICE } });
    expect(signed.status).toBe(201);
    expect(signed.json).toMatchObject({ certificate: expect.stringContaining('BEGIN CERTIFICATE'), chain: expect.any(String), serial: expect.stringMatching(/^[0-9a-f]+$/), notAfter: expect.any(String) });
    await peers.write('alice.pem', signed.json.certificate);
    expect(await peers.openssl('verify', '-CAfile', 'chain.pem', 'alice.pem')).toMatch(/alice.pem: OK/);
    const text = await peers.openssl('x509', '-in', 'alice.pem', '-noout', '-text');
    expect(text).toMatch(/TLS Web Client Authentication/);
    expect(text).not.toMatch(/TLS Web Server Authentication/);
    expect(text).toContain(`URI:${ALICE}`);

    // Someone who may not vouch for alice gets nothing.
    expectProblem(await call('POST', '/v1/pki/sign', { as: BOB, body: { csr: await peers.read('alice.csr'), principal: ALICE } }), 403);

    expectProblem(await call('POST', '/v1/pki/revoke', { as: BOB, body: { serial: signed.json.serial } }), 403);
    const revoked = await call('POST', '/v1/pki/revoke', { as: ALICE, body: { certificate: signed.json.certificate, reason: 'keyCompromise' } });
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ serial: signed.json.serial, reason: 'keyCompromise' });
    expectProblem(await call('POST', '/v1/pki/revoke', { as: ALICE, body: { serial: signed.json.serial } }), 409);

    const pem = await call('GET', '/v1/pki/crl');
    expect(pem.text).toMatch(/^-----BEGIN X509 CRL-----/);
    await peers.write('crl.pem', pem.text);
    const check = await peers.run('openssl', ['verify', '-crl_check', '-CAfile', 'chain.pem', '-CRLfile', 'crl.pem', 'alice.pem']);
    expect(check.status).not.toBe(0);
    expect(check.stdout + check.stderr).toMatch(/certificate revoked/);

    const der = await call('GET', '/v1/pki/crl', { headers: { accept: 'application/pkix-crl' } });
    expect(der.type).toContain('application/pkix-crl');
    expect(der.buf.equals((await call('GET', '/v1/pki/crl?format=der')).buf)).toBe(true);
    await peers.write('crl.der', der.buf);
    expect((await peers.openssl('crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text')).toUpperCase()).toContain(signed.json.serial.toUpperCase());
  });

  it('DNS/IP names (server certificates) are for workloads only: a user asking for them gets 400', async () => {
    await peers.openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'svc.key', '-subj', '/CN=svc', '-out', 'svc.csr');
    const csr = await peers.read('svc.csr');
    expectProblem(await call('POST', '/v1/pki/sign', { as: ALICE, body: { csr, principal: ALICE, dns: ['alice.example'] } }), 400, /workload/);
  });

  it("server certificate names must be granted in the tree, and the gateway's names never are (openssl CSRs asking for localhost)", async () => {
    const WEB = 'am://workload/web1';
    expect((await call('PUT', '/v1/nodes/workload/web1', { as: OPERATOR, body: { kind: 'leaf' } })).status).toBe(201);
    await peers.openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'web1.key', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-out', 'web1.csr');
    const csr = await peers.read('web1.csr');
    const sign = (dns: string[], ip: string[] = []) => call('POST', '/v1/pki/sign', { as: WEB, body: { csr, principal: WEB, dns, ip } });

    // Impersonating the gateway: refused with the name named, granted or not.
    expectProblem(await sign(['localhost']), 403, /^certificate name "DNS:localhost" is reserved for the gateway$/);
    expectProblem(await sign([], ['127.0.0.1']), 403, /^certificate name "IP:127\.0\.0\.1" is reserved for the gateway$/);
    expectProblem(await sign([], ['::1']), 403, /"IP:::1" is reserved for the gateway/);
    expectProblem(await sign(['web1.example.com']), 403, /^certificate name "DNS:web1\.example\.com" is not granted to am:\/\/workload\/web1 \(grant it with a cert-names annotation/);
    expectProblem(await call('POST', '/v1/pki/issue', { as: WEB, body: { principal: WEB, ip: ['10.9.9.9'] } }), 403, /"IP:10\.9\.9\.9" is not granted/);

    // Nothing restricts ADMIN on web1 in new_sample, yet it may not grant itself names; the operator may.
    const grant = { tag: 'cert-names', data: 'DNS:web1.example.com DNS:*.apps.example.com DNS:localhost' };
    expectProblem(await call('POST', '/v1/nodes/workload/web1/annotations', { as: WEB, body: grant }), 403, /cannot grant certificate names to itself/);
    expectProblem(await call('POST', '/v1/nodes/workload/web1/annotations', { as: OPERATOR, body: { tag: 'cert-names', data: 'web1.example.com' } }), 400, /is not DNS:<name>/);
    expect((await call('POST', '/v1/nodes/workload/web1/annotations', { as: OPERATOR, body: grant })).status).toBe(200);
    const details = await call('GET', '/v1/nodes/workload/web1', { as: WEB });
    expect(JSON.stringify(details.json)).toContain(grant.data);

    expectProblem(await sign(['localhost']), 403, /reserved for the gateway/);
    expectProblem(await sign(['a.b.apps.example.com']), 403, /"DNS:a\.b\.apps\.example\.com" is not granted/);
    const ok = await sign(['web1.example.com', 'api.apps.example.com']);
    expect(ok.status).toBe(201);
    await peers.write('web1.pem', ok.json.certificate);
    const text = await peers.openssl('x509', '-in', 'web1.pem', '-noout', '-text');
    const san = /X509v3 Subject Alternative Name:.*\n\s*(.*)/.exec(text)![1];
    expect(san.split(', ').sort()).toEqual(['DNS:api.apps.example.com', 'DNS:web1.example.com', `URI:${WEB}`]);
    expect(text).toMatch(/TLS Web Server Authentication/);
  });

  it('POST /v1/pki/issue: the PKCS#12 opens with openssl and its password, not with another', async () => {
    const r = await call('POST', '/v1/pki/issue', { as: ALICE, body: { principal: ALICE, pkcs12Password: 'correct horse' } });
    expect(r.status).toBe(201);
    expect(r.json.privateKey).toContain('PRIVATE KEY');
    await peers.write('alice.p12', Buffer.from(r.json.pkcs12, 'base64'));
    const info = await peers.openssl('pkcs12', '-info', '-in', 'alice.p12', '-passin', 'pass:correct horse', '-nodes');
    expect(info).toContain(r.json.certificate.split('\n')[1]);
    expect((await peers.run('openssl', ['pkcs12', '-info', '-in', 'alice.p12', '-passin', 'pass:wrong horse', '-nodes'])).status).not.toBe(0);
    expectProblem(await call('POST', '/v1/pki/issue', { as: ALICE, body: { principal: ALICE, pkcs12Password: 'abc' } }), 400);
    expectProblem(await call('POST', '/v1/pki/issue', { body: { principal: ALICE } }), 401);
  });

  it('hostile CSRs get 400 and the gateway keeps serving', async () => {
    await peers.openssl('req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', 'weak.key', '-subj', '/CN=weak', '-out', 'weak.csr');
    const good = await peers.openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'g.key', '-subj', '/CN=g', '-out', 'g.csr').then(() => peers.read('g.csr'));
    const body = good.split('\n').slice(1, -2).join('');
    const flipped = Buffer.from(body, 'base64');
    flipped[flipped.length - 5] ^= 0xff; // inside the signature
    const hostile = [
      'garbage',
      '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
      good.slice(0, good.length / 2),
      `-----BEGIN CERTIFICATE REQUEST-----\n${flipped.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`,
      await peers.read('weak.csr'),
      'A'.repeat(70 * 1024),
    ];
    for (const csr of hostile) {
      const r = await call('POST', '/v1/pki/sign', { as: ALICE, body: { csr, principal: ALICE } });
      expectProblem(r, 400);
    }
    expect((await call('GET', '/v1/pki/ca')).status).toBe(200);
    expect((await call('GET', '/readyz')).status).toBe(200);
  });

  it('trust store and pins over REST: list, add, remove; every pki route is documented', async () => {
    const list = await call('GET', '/v1/pki/trust', { as: 'am://user/the-operator' });
    expect(list.status).toBe(200);
    expect(list.json).toMatchObject({ anchors: expect.any(Array), pinned: expect.any(Array) });
    expectProblem(await call('POST', '/v1/pki/trust', { as: 'am://user/the-operator', body: { certificate: 'nope', mapping: { kind: 'san-uri' } } }), 400);
    expectProblem(await call('DELETE', `/v1/pki/trust?fingerprint=${'00'.repeat(32)}`, { as: 'am://user/the-operator' }), 404);
    expectProblem(await call('POST', '/v1/pki/pins', { as: ALICE, body: { principal: ALICE } }), 400);
    const doc = (await call('GET', '/openapi.json')).json;
    const pki = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .filter(([p]) => p.startsWith('/v1/pki'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(pki).toEqual([
      'DELETE /v1/pki/pins',
      'DELETE /v1/pki/trust',
      'GET /v1/pki/ca',
      'GET /v1/pki/crl',
      'GET /v1/pki/trust',
      'POST /v1/pki/ca',
      'POST /v1/pki/issue',
      'POST /v1/pki/pins',
      'POST /v1/pki/revoke',
      'POST /v1/pki/sign',
      'POST /v1/pki/trust',
    ]);
  });
});
