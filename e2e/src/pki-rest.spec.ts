import { api, Peers, startPkiStack } from './pki-peers';

const ALICE = 'am://user/hpe/bu1/alice';
const BOB = 'am://user/hpe/bu1/bob';

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
