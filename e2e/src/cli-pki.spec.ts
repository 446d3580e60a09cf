/**
 * The PKI through the `am` CLI (runCli, in process) against the real stack, with real openssl as
 * the peer that checks what the CLI wrote: CSR signing, revocation and the CRL, PKCS#12, the
 * trust store, and a remote over the gateway's HTTPS port — its certificate accepted by
 * fingerprint, pinned, and used with a client certificate.
 */
import { runCli } from '@apps/cli';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Peers, startPkiStack } from './pki-peers';

const OPERATOR = 'am://user/the-operator';
const ALICE = 'am://user/hpe/bu1/alice';
const BOB = 'am://user/hpe/bu1/bob';

describe('PKI and remotes with the am CLI (openssl as the peer)', () => {
  let stack: Awaited<ReturnType<typeof startPkiStack>>;
  let peers: Peers;
  /** A path in the peer directory (where openssl runs). */
  const at = (name: string) => join(peers.dir, name);
  /** `am ...` as `user` (no user: no credential at all); the gateway is the plain HTTP listener unless env says otherwise. */
  const am = async (user: string | undefined, argv: string[], env: NodeJS.ProcessEnv = {}) => {
    let out = '';
    let err = '';
    const fullEnv: NodeJS.ProcessEnv = { ACCESS_MANAGER_URL: stack.url, AM_CONFIG_DIR: at('config'), ...(user ? { AM_USER: user } : {}), ...env };
    const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: fullEnv, fetch });
    return { code, out, err };
  };
  const fingerprintOf = async (pemFile: string) => (await peers.openssl('x509', '-in', pemFile, '-noout', '-fingerprint', '-sha256')).trim();

  beforeAll(async () => {
    stack = await startPkiStack();
    peers = await Peers.create();
  });
  afterAll(async () => {
    await stack?.stop();
    await peers?.cleanup();
  });

  it('ca show, then cert sign of an openssl req CSR: openssl verify -CAfile says OK; SAN URI and clientAuth as issued', async () => {
    const ca = await am(undefined, ['ca', 'show', '--out', at('chain.pem')]);
    expect(ca).toEqual({ code: 0, out: '', err: '' });
    expect((await peers.read('chain.pem')).match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);

    await peers.openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'alice.key', '-subj', '/CN=alice', '-out', 'alice.csr');
    const signed = await am(ALICE, ['cert', 'sign', '--csr', at('alice.csr'), '--principal', ALICE, '--out', at('alice.pem'), '--chain-out', at('alice-chain.pem')]);
    expect(signed.code).toBe(0);
    expect(JSON.parse(signed.out)).toMatchObject({ principal: ALICE, serial: expect.stringMatching(/^[0-9a-f]+$/i), files: [at('alice.pem'), at('alice-chain.pem')] });
    expect(await peers.openssl('verify', '-CAfile', 'chain.pem', 'alice.pem')).toContain('alice.pem: OK');
    const text = await peers.openssl('x509', '-in', 'alice.pem', '-noout', '-text');
    expect(text).toContain(`URI:${ALICE}`);
    expect(text).toContain('TLS Web Client Authentication');

    // Printed on standard output without --out; nobody gets a certificate for a principal they cannot vouch for.
    const printed = await am(ALICE, ['cert', 'sign', '--csr', at('alice.csr'), '--principal', ALICE]);
    expect(printed.out).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    const refused = await am(BOB, ['cert', 'sign', '--csr', at('alice.csr'), '--principal', ALICE]);
    expect(refused.code).toBe(1);
    expect(refused.err.split('\n')).toHaveLength(2);
    expect(refused.err).toMatch(/^Error: /);
  });

  it('cert sign --dns: a reserved or ungranted name is one plain error line; granted with am annotate (ADMIN), the names are issued', async () => {
    const DASH = 'am://workload/hpe/bu1/dashboard';
    await peers.openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'dash.key', '-subj', '/CN=localhost', '-out', 'dash.csr');
    const sign = (...names: string[]) => am(DASH, ['cert', 'sign', '--csr', at('dash.csr'), '--principal', DASH, ...names, '--out', at('dash.pem')]);
    expect(await sign('--dns', 'localhost')).toEqual({ code: 1, out: '', err: 'Error: certificate name "DNS:localhost" is reserved for the gateway\n' });
    expect(await sign('--ip', '127.0.0.1')).toEqual({ code: 1, out: '', err: 'Error: certificate name "IP:127.0.0.1" is reserved for the gateway\n' });
    const ungranted = await sign('--dns', 'dash.example.com');
    expect(ungranted.code).toBe(1);
    expect(ungranted.err).toMatch(/^Error: certificate name "DNS:dash\.example\.com" is not granted to am:\/\/workload\/hpe\/bu1\/dashboard \(grant it with a cert-names annotation[^\n]*\n$/);

    expect((await am(ALICE, ['annotate', DASH, 'cert-names=DNS:dash.example.com'])).code).toBe(0);
    expect((await sign('--dns', 'dash.example.com')).code).toBe(0);
    expect(await peers.openssl('x509', '-in', 'dash.pem', '-noout', '-ext', 'subjectAltName')).toContain('DNS:dash.example.com');
  });

  it('cert revoke --cert, then am crl: openssl verify -crl_check says revoked (PEM and DER)', async () => {
    await peers.openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'gone.key', '-subj', '/CN=gone', '-out', 'gone.csr');
    expect((await am(ALICE, ['cert', 'sign', '--csr', at('gone.csr'), '--principal', ALICE, '--out', at('gone.pem')])).code).toBe(0);
    expect((await am(undefined, ['crl', '--out', at('before.pem')])).code).toBe(0);
    expect(await peers.openssl('verify', '-crl_check', '-CRLfile', 'before.pem', '-CAfile', 'chain.pem', 'gone.pem')).toContain('gone.pem: OK');

    const revoked = await am(ALICE, ['--output', 'table', 'cert', 'revoke', '--cert', at('gone.pem'), '--reason', 'keyCompromise']);
    expect(revoked.code).toBe(0);
    expect(revoked.out).toMatch(new RegExp(`^Revoked certificate [0-9a-f]+ of ${ALICE} \\(keyCompromise\\); CRL number \\d+\\n$`));

    const crl = await am(undefined, ['crl']);
    expect(crl.out).toMatch(/^-----BEGIN X509 CRL-----\n/);
    await peers.write('crl.pem', crl.out);
    const verify = await peers.run('openssl', ['verify', '-crl_check', '-CRLfile', 'crl.pem', '-CAfile', 'chain.pem', 'gone.pem']);
    expect(verify.status).not.toBe(0);
    expect(verify.stdout + verify.stderr).toMatch(/certificate revoked/);

    expect((await am(undefined, ['crl', '--der', '--out', at('crl.der')])).code).toBe(0);
    const serial = (await peers.openssl('x509', '-in', 'gone.pem', '-noout', '-serial')).trim().replace(/^serial=/, '');
    expect((await peers.openssl('crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text')).toUpperCase()).toContain(serial.toUpperCase());
    await peers.openssl('crl', '-inform', 'DER', '-in', 'crl.der', '-out', 'crl-from-der.pem');
    const fromDer = await peers.run('openssl', ['verify', '-crl_check', '-CRLfile', 'crl-from-der.pem', '-CAfile', 'chain.pem', 'gone.pem']);
    expect(fromDer.status).not.toBe(0);
    expect(fromDer.stdout + fromDer.stderr).toMatch(/certificate revoked/);

    // Again: one line saying so.
    const again = await am(ALICE, ['cert', 'revoke', '--serial', serial]);
    expect(again).toMatchObject({ code: 1, out: '' });
    expect(again.err).toMatch(/^Error: .*already revoked.*\n$/);
  });

  it('cert issue --p12 opens with openssl pkcs12 and the password (a wrong one fails); the key file is 0600', async () => {
    await writeFile(at('p12.pass'), 'correct horse\n');
    const issued = await am(ALICE, ['-v', 'cert', 'issue', '--principal', ALICE, '--p12', at('alice.p12'), '--password-file', at('p12.pass'), '--key-out', at('issued.key'), '--cert-out', at('issued.pem')]);
    expect(issued.code).toBe(0);
    expect(issued.out + issued.err).not.toContain('correct horse');
    expect(issued.out + issued.err).not.toContain('PRIVATE KEY');
    const info = await peers.openssl('pkcs12', '-info', '-in', 'alice.p12', '-passin', `file:${at('p12.pass')}`, '-nodes');
    expect(info).toContain('-----BEGIN CERTIFICATE-----');
    expect(info).toMatch(/-----BEGIN (EC )?PRIVATE KEY-----/);
    expect((await peers.run('openssl', ['pkcs12', '-info', '-in', 'alice.p12', '-passin', 'pass:wrong horse', '-nodes'])).status).not.toBe(0);
    expect(await peers.openssl('verify', '-CAfile', 'chain.pem', 'issued.pem')).toContain('issued.pem: OK');
    const { mode } = await import('node:fs').then((fs) => fs.statSync(at('issued.key')));
    expect(mode & 0o777).toBe(0o600);
  });

  it('trust add|ls|rm of an external CA (as the operator)', async () => {
    const partner = await peers.externalCa('partner');
    expect(partner).toContain('BEGIN CERTIFICATE');
    const added = await am(OPERATOR, ['--output', 'table', 'trust', 'add', '--cert', at('partner.pem'), '--mapping', 'san-uri=am://user/small/', '--label', 'partner']);
    expect(added.code).toBe(0);
    expect(added.out).toMatch(/^Trusted .*CN=partner.* \(SHA-256 [0-9A-F:]{95}\), mapping san-uri under am:\/\/user\/small\/\n$/);
    const ls = JSON.parse((await am(OPERATOR, ['trust', 'ls'])).out);
    expect(ls.anchors).toEqual([expect.objectContaining({ label: 'partner', mapping: { kind: 'san-uri', allowedPrefixes: ['am://user/small/'] } })]);
    const fp = await fingerprintOf('partner.pem');
    expect((await am(OPERATOR, ['trust', 'rm', fp])).code).toBe(0);
    expect(JSON.parse((await am(OPERATOR, ['trust', 'ls'])).out).anchors).toEqual([]);
    // Alice administers nothing under am://user/small: refused, one line.
    const denied = await am(ALICE, ['trust', 'add', '--cert', at('partner.pem'), '--mapping', 'san-uri=am://user/small/']);
    expect(denied.code).toBe(1);
    expect(denied.err.split('\n')).toHaveLength(2);
  });

  it('pki init when the CA exists (auto-init) is one clear line', async () => {
    const r = await am(OPERATOR, ['pki', 'init']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error: .*already exists.*\n$/);
  });

  it('remote add against the HTTPS port with --accept-fingerprint; then mTLS over the pinned remote acts as the certificate\'s principal', async () => {
    // The fingerprint as openssl sees it.
    const hello = await peers.run('openssl', ['s_client', '-connect', `127.0.0.1:${stack.gateway.tlsPort}`, '-servername', 'localhost']);
    await peers.write('server.txt', hello.stdout);
    const serverFp = await fingerprintOf('server.txt');
    expect(serverFp).toMatch(/^sha256 Fingerprint=[0-9A-F:]{95}$/i);

    const blind = await am(undefined, ['remote', 'add', 'gw', stack.tlsUrl]);
    expect(blind.code).toBe(1);
    expect(blind.err).toMatch(/^Error: not on a terminal.* --accept-fingerprint [0-9A-F:]{95}\n$/);

    const added = await am(undefined, ['remote', 'add', 'gw', stack.tlsUrl, '--accept-fingerprint', serverFp]);
    expect(added.code).toBe(0);
    expect(added.out).toContain(`Added remote gw (${stack.tlsUrl}), pinned to SHA-256 ${serverFp.replace(/^sha256 Fingerprint=/i, '')}`);

    // A client certificate issued by the PKI: the caller is its principal, no credential needed.
    expect((await am(ALICE, ['cert', 'issue', '--principal', ALICE, '--key-out', at('mtls.key'), '--cert-out', at('mtls.pem')])).code).toBe(0);
    const whoami = await am(undefined, ['--remote', 'gw', '--cert', at('mtls.pem'), '--key', at('mtls.key'), 'whoami'], { ACCESS_MANAGER_URL: '' });
    expect(whoami).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(whoami.out)).toMatchObject({ principal: ALICE });
    // The certificate wins over a credential sent with it; public routes need neither.
    expect(JSON.parse((await am(BOB, ['--remote', 'gw', '--cert', at('mtls.pem'), '--key', at('mtls.key'), 'whoami'])).out).principal).toBe(ALICE);
    expect((await am(undefined, ['--remote', 'gw', 'ca', 'show'])).out).toBe(await peers.read('chain.pem'));
    // Without a certificate, a bearer credential still works over the pinned remote.
    expect(JSON.parse((await am(BOB, ['whoami', '--remote', 'gw'])).out).principal).toBe(BOB);

    // Stored with the remote and made the default: `am whoami` alone is alice over mTLS.
    const mine = await am(undefined, ['remote', 'add', 'mine', stack.tlsUrl, '--accept-fingerprint', serverFp, '--cert', at('mtls.pem'), '--key', at('mtls.key'), '--default']);
    expect(mine.code).toBe(0);
    expect(JSON.parse((await am(undefined, ['whoami'], { ACCESS_MANAGER_URL: '' })).out).principal).toBe(ALICE);

    // Revoked: the gateway refuses the certificate (401), in one line.
    expect((await am(ALICE, ['cert', 'revoke', '--cert', at('mtls.pem')])).code).toBe(0);
    const after = await am(undefined, ['whoami'], { ACCESS_MANAGER_URL: '' });
    expect(after.code).toBe(1);
    expect(after.err).toMatch(/^Error: .*revoked.*\n$/);
  });

  it('a wrong pinned fingerprint is refused: at remote add, and on every later connection', async () => {
    const root = await fingerprintOf('chain.pem'); // some other certificate's fingerprint
    const wrong = await am(undefined, ['remote', 'add', 'bad', stack.tlsUrl, '--accept-fingerprint', root]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^Error: the server's certificate has SHA-256 [0-9A-F:]{95}, not the [0-9A-F:]{95} given with --accept-fingerprint; remote bad not added\n$/);

    // The server "changed" its certificate: the stored pin no longer matches.
    const file = at('config/remotes.json');
    const config = JSON.parse(await readFile(file, 'utf8'));
    config.remotes.gw.fingerprint = root.replace(/^sha256 Fingerprint=/i, '').replace(/:/g, '').toLowerCase();
    await writeFile(file, JSON.stringify(config));
    const refused = await am(BOB, ['--remote', 'gw', 'whoami']);
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    expect(refused.err).toMatch(/^Error: the server at https:\/\/127\.0\.0\.1:\d+ presented a certificate with SHA-256 [0-9A-F:]{95}, but remote gw is pinned to [0-9A-F:]{95}; refusing to connect .*\n$/);
    expect(refused.err.split('\n')).toHaveLength(2);
  });
});
