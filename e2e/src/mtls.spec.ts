import { request, Agent } from 'node:https';
import { api, Peers, startPkiStack } from './pki-peers';

const OPERATOR = 'am://user/the-operator';
const ALICE = 'am://user/hpe/bu1/alice';
const BOB = 'am://user/hpe/bu1/bob';
/** Under am://user/small, which the operator administers (trusting a CA for an area needs ADMIN on it). */
const SMALL = 'am://user/small/a/x1/y1';

/** mTLS at the gateway with curl and openssl as the peers (real stack in process). */
describe('mTLS at the gateway (curl, openssl)', () => {
  let stack: Awaited<ReturnType<typeof startPkiStack>>;
  let peers: Peers;
  /** curl over HTTPS, trusting the PKI chain; `cert` names <cert>.pem/<cert>.key in the peer directory. */
  const tlsCurl = (path: string, cert?: string, ...args: string[]) =>
    peers.curl(`${stack.tlsUrl}${path}`, '--cacert', 'chain.pem', ...(cert ? ['--cert', `${cert}.pem`, '--key', `${cert}.key`] : []), ...args);
  /** A certificate from the PKI (server-side key) for `principal`, saved as <name>.pem/<name>.key. */
  const issue = async (name: string, principal: string, extra: Record<string, unknown> = {}) => {
    const r = await api(stack.url, 'POST', '/v1/pki/issue', { as: principal, body: { principal, ...extra } });
    if (r.status !== 201) throw new Error(`issue: ${r.status} ${r.text}`);
    await peers.write(`${name}.pem`, r.json.certificate);
    await peers.write(`${name}.key`, r.json.privateKey);
    return r.json as { serial: string; certificate: string; privateKey: string };
  };
  const expect401 = (r: { status: number; json: any }, detail: RegExp) => {
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ status: 401, title: 'Authentication required', type: expect.stringContaining('/unauthenticated') });
    expect(r.json.detail).toMatch(detail);
  };

  beforeAll(async () => {
    stack = await startPkiStack();
    peers = await Peers.create();
    const ca = await api(stack.url, 'GET', '/v1/pki/ca');
    await peers.write('chain.pem', ca.text);
    await issue('alice', ALICE);
  });
  afterAll(async () => {
    await stack?.stop();
    await peers?.cleanup();
  });

  it('serves a PKI server certificate with the configured names; a PKI client certificate makes its principal the caller', async () => {
    const text = await peers.openssl('s_client', '-connect', `127.0.0.1:${stack.gateway.tlsPort}`, '-CAfile', 'chain.pem', '-verify_return_error', '-brief');
    expect(text).toMatch(/Verification: OK/);
    const r = await tlsCurl('/v1/whoami', 'alice');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ principal: ALICE, via: 'certificate' });
    // The certificate wins over an Authorization header sent with it.
    expect((await tlsCurl('/v1/whoami', 'alice', '-H', `Authorization: Bearer ${BOB}`)).json.principal).toBe(ALICE);
    // The caller acts with its own permissions on any route.
    expect((await tlsCurl('/v1/nodes/user/hpe/bu1/alice', 'alice')).json.path).toBe(ALICE);
  });

  it('without a certificate: 401 with the reason on routes that need a caller; public routes and Authorization still work', async () => {
    expect401(await tlsCurl('/v1/whoami'), /no client certificate presented/);
    expect((await tlsCurl('/healthz')).status).toBe(200);
    expect((await tlsCurl('/v1/pki/ca')).status).toBe(200);
    expect((await tlsCurl('/v1/whoami', undefined, '-H', `Authorization: Bearer ${BOB}`)).json.principal).toBe(BOB);
  });

  it('a certificate credential cannot be sent as such (certificates are public)', async () => {
    const der = Buffer.from((await peers.read('alice.pem')).replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64');
    expect401(await peers.curl(`${stack.url}/v1/whoami`, '-H', `Authorization: Bearer x509:${der}`), /present the client certificate in the TLS handshake/);
    // Where the gateway does not look (the compat caller_id parameter; an identity plugin on NATS) the backend refuses it itself.
    const compat = await peers.curl(`${stack.url}/details?path=am://user/hpe/bu1/alice&caller_id=${encodeURIComponent(`x509:${der}`)}`);
    expect(compat.json.error).toMatchObject({ error: 1, message: expect.stringMatching(/made by the gateway/) });
  });

  it('refuses an untrusted CA, a certificate without clientAuth, and an expired one, each with its reason', async () => {
    await peers.externalCa('stranger');
    await peers.leafFrom('stranger', 'mallory', ['extendedKeyUsage=clientAuth', `subjectAltName=URI:${ALICE}`]);
    expect401(await tlsCurl('/v1/whoami', 'mallory'), /\(untrusted\)/);

    await peers.externalCa('partner');
    const partnerPem = await peers.read('partner.pem');
    await peers.leafFrom('partner', 'server-only', ['extendedKeyUsage=serverAuth', `subjectAltName=URI:${SMALL}`]);
    const added = await api(stack.url, 'POST', '/v1/pki/trust', { as: OPERATOR, body: { certificate: partnerPem, mapping: { kind: 'san-uri', allowedPrefixes: ['am://user/small/'] } } });
    expect(added.status).toBe(201);
    expect401(await tlsCurl('/v1/whoami', 'server-only'), /\(wrong-eku\)/);

    await issue('short', ALICE, { validitySeconds: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    expect401(await tlsCurl('/v1/whoami', 'short'), /\(expired\)/);
  });

  it('after trust add of an external CA, its certificates map to their principal; removing it ends that', async () => {
    await peers.externalCa('acme');
    const acmePem = await peers.read('acme.pem');
    await peers.leafFrom('acme', 'bob-acme', ['extendedKeyUsage=clientAuth', `subjectAltName=URI:${SMALL}`]);
    expect401(await tlsCurl('/v1/whoami', 'bob-acme'), /\(untrusted\)/);
    const added = await api(stack.url, 'POST', '/v1/pki/trust', { as: OPERATOR, body: { certificate: acmePem, mapping: { kind: 'san-uri', allowedPrefixes: ['am://user/small/'] }, label: 'acme' } });
    expect(added.status).toBe(201);
    const r = await tlsCurl('/v1/whoami', 'bob-acme');
    expect(r.status).toBe(200);
    expect(r.json.principal).toBe(SMALL);
    const removed = await api(stack.url, 'DELETE', `/v1/pki/trust?fingerprint=${added.json.anchor.fingerprint}`, { as: OPERATOR });
    expect(removed.status).toBe(200);
    expect401(await tlsCurl('/v1/whoami', 'bob-acme'), /\(untrusted\)/);
  });

  it('a pinned self-signed client certificate stands for its principal until unpinned', async () => {
    await peers.openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'self.key', '-subj', '/CN=alice-laptop', '-days', '2',
      '-out', 'self.pem', '-addext', 'extendedKeyUsage=clientAuth', '-addext', 'basicConstraints=critical,CA:FALSE');
    expect401(await tlsCurl('/v1/whoami', 'self'), /\(untrusted\)/);
    const pinned = await api(stack.url, 'POST', '/v1/pki/pins', { as: ALICE, body: { principal: ALICE, certificate: await peers.read('self.pem') } });
    expect(pinned.status).toBe(201);
    expect((await tlsCurl('/v1/whoami', 'self')).json.principal).toBe(ALICE);
    expect((await api(stack.url, 'DELETE', `/v1/pki/pins?fingerprint=${pinned.json.pinned.fingerprint}`, { as: ALICE })).status).toBe(200);
    expect401(await tlsCurl('/v1/whoami', 'self'), /\(untrusted\)/);
  });

  it('revocation applies within 1 s, on new connections and on an open keep-alive connection, without a restart', async () => {
    const issued = await issue('revokee', ALICE);
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: await peers.read('chain.pem'), cert: issued.certificate, key: issued.privateKey });
    const whoami = () =>
      new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
        const req = request(`${stack.tlsUrl}/v1/whoami`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, socket: req.socket }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      const before = await whoami();
      expect(before.status).toBe(200);
      expect((await tlsCurl('/v1/whoami', 'revokee')).status).toBe(200);
      const revoked = await api(stack.url, 'POST', '/v1/pki/revoke', { as: ALICE, body: { serial: issued.serial, reason: 'keyCompromise' } });
      expect(revoked.status).toBe(200);
      const at = Date.now();
      let after = await whoami();
      while (after.status !== 401 && Date.now() - at < 1000) after = await whoami();
      expect(after.status).toBe(401);
      expect(after.socket).toBe(before.socket);
      expect(Date.now() - at).toBeLessThan(1000);
      expect401(await tlsCurl('/v1/whoami', 'revokee'), /\(revoked\)/);
    } finally {
      agent.destroy();
    }
  });

  it('trusts Ssl-Client-Cert / Ssl-Client-Verify only from configured proxy addresses', async () => {
    const pem = encodeURIComponent(await peers.read('alice.pem'));
    const headers = ['-H', `Ssl-Client-Cert: ${pem}`, '-H', 'Ssl-Client-Verify: SUCCESS'];
    // The main gateway has no proxies configured: the headers are ignored.
    expect((await peers.curl(`${stack.url}/v1/whoami`, ...headers)).status).toBe(401);
    const behindProxy = await stack.extraGateway({ AM_GATEWAY_TLS: 'false', AM_GATEWAY_TLS_PROXIES: '127.0.0.1' });
    const url = `http://127.0.0.1:${behindProxy.port}/v1/whoami`;
    const r = await peers.curl(url, ...headers);
    expect(r.status).toBe(200);
    expect(r.json.principal).toBe(ALICE);
    expect((await peers.curl(url, '-H', `Ssl-Client-Cert: ${pem}`, '-H', 'Ssl-Client-Verify: FAILED:unable to verify')).status).toBe(401);
    expect401(await peers.curl(url, '-H', 'Ssl-Client-Cert: %%%garbage', '-H', 'Ssl-Client-Verify: SUCCESS'), /malformed/);
  });

  it('honours the minimum TLS version', async () => {
    const strict = await stack.extraGateway({ AM_GATEWAY_TLS_MIN_VERSION: 'TLSv1.3', AM_GATEWAY_TLS_PORT: '0' });
    const url = `https://127.0.0.1:${strict.tlsPort}/healthz`;
    expect((await peers.curl(url, '--cacert', 'chain.pem', '--tls-max', '1.2')).status).toBe(0);
    expect((await peers.curl(url, '--cacert', 'chain.pem')).status).toBe(200);
  });
});
