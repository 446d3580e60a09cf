import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { runCli } from './program';
import { configDir, parseFingerprint, showFingerprint } from './remotes';

/** openssl as an async child process in `dir`. */
function openssl(dir: string, ...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b));
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolve() : reject(new Error(`openssl ${args.join(' ')}: ${err}`))));
  });
}

const selfSigned = (dir: string, name: string, cn: string, ...ext: string[]) =>
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', `/CN=${cn}`, '-days', '2', ...ext.flatMap((e) => ['-addext', e]));

/** What the stand-in gateway says about the caller: the client certificate's CN, else the bearer. */
function startServer(dir: string, name: string): Promise<{ server: Server; url: string; fingerprint: string }> {
  const cert = readFileSync(join(dir, `${name}.pem`), 'utf8');
  const server = createServer({ cert, key: readFileSync(join(dir, `${name}.key`)), requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const principal = peer?.subject?.CN ? `cert:${peer.subject.CN}` : req.headers.authorization?.replace(/^Bearer /, '') ?? 'nobody';
    res.writeHead(req.url === '/v1/whoami' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ principal, via: 'credential', revision: 1, server: name }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, fingerprint: new X509Certificate(cert).fingerprint256.replace(/:/g, '').toLowerCase() }),
    ),
  );
}

describe('am remote: trust on first use, then a pinned server certificate (real HTTPS servers)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'am-cli-remotes-'));
  const config = join(dir, 'config');
  let a: Awaited<ReturnType<typeof startServer>>;
  let b: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    await selfSigned(dir, 'server-a', 'gateway-a', 'subjectAltName=IP:127.0.0.1');
    await selfSigned(dir, 'server-b', 'gateway-b', 'subjectAltName=IP:127.0.0.1');
    await selfSigned(dir, 'client', 'alice-laptop', 'extendedKeyUsage=clientAuth');
    a = await startServer(dir, 'server-a');
    b = await startServer(dir, 'server-b');
  });
  afterAll(async () => {
    await Promise.all([a, b].map((s) => s && new Promise((r) => s.server.close(r))));
  });

  const am = async (argv: string[], env: NodeJS.ProcessEnv = {}, prompt?: (q: string) => Promise<string>) => {
    let out = '';
    let err = '';
    const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: { AM_CONFIG_DIR: config, ...env }, fetch, prompt });
    return { code, out, err };
  };
  const stored = () => JSON.parse(readFileSync(join(config, 'remotes.json'), 'utf8'));

  it('parses fingerprints in the usual spellings', () => {
    const hex = 'a1'.repeat(32);
    expect(parseFingerprint(showFingerprint(hex))).toBe(hex);
    expect(parseFingerprint(`sha256 Fingerprint=${showFingerprint(hex)}`)).toBe(hex);
    expect(parseFingerprint(`SHA256:${hex.toUpperCase()}`)).toBe(hex);
    expect(parseFingerprint('a1:b2')).toBeUndefined();
    expect(configDir({ HOME: '/home/x' })).toBe('/home/x/.config/am');
    expect(configDir({ HOME: '/home/x', AM_CONFIG_DIR: '/etc/am' })).toBe('/etc/am');
  });

  it('remote add shows the fingerprint; without a terminal it needs --accept-fingerprint, and a wrong one is refused', async () => {
    const shown = showFingerprint(a.fingerprint);
    const blind = await am(['remote', 'add', 'a', a.url]);
    expect(blind.code).toBe(1);
    expect(blind.out).toContain(`  SHA-256  ${shown}\n`);
    expect(blind.out).toContain('  subject  CN=gateway-a\n');
    expect(blind.err).toBe(`Error: not on a terminal, so nobody can confirm the certificate: check the fingerprint above and run again with --accept-fingerprint ${shown}\n`);

    const wrong = await am(['remote', 'add', 'a', a.url, '--accept-fingerprint', b.fingerprint]);
    expect(wrong.err).toBe(`Error: the server's certificate has SHA-256 ${shown}, not the ${showFingerprint(b.fingerprint)} given with --accept-fingerprint; remote a not added\n`);
    expect((await am(['remote', 'add', 'a', a.url, '--accept-fingerprint', 'nonsense'])).err).toBe('Error: --accept-fingerprint: not a SHA-256 fingerprint: "nonsense"\n');
    expect((await am(['remote', 'add', 'a', 'http://127.0.0.1:1'])).err).toBe('Error: a remote must be an https:// URL (got http://127.0.0.1:1)\n');
    expect((await am(['remote', 'add', 'a', 'https://127.0.0.1:1'])).err).toBe('Error: cannot connect to https://127.0.0.1:1: ECONNREFUSED\n');
    expect((await am(['remote', 'add', 'no/slash', a.url])).code).toBe(1);
    expect((await am(['remote', 'ls'])).out).toBe(`{\n  "default": null,\n  "file": "${join(config, 'remotes.json')}",\n  "remotes": []\n}\n`);

    const ok = await am(['remote', 'add', 'a', a.url, '--accept-fingerprint', shown]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`Added remote a (${a.url}), pinned to SHA-256 ${shown}\n`);
    expect(stored()).toEqual({ remotes: { a: { url: a.url, fingerprint: a.fingerprint, addedAt: expect.any(String) } } });
    expect(statSync(join(config, 'remotes.json')).mode & 0o777).toBe(0o600);
    expect((await am(['remote', 'add', 'a', a.url, '--accept-fingerprint', shown])).err).toBe(`Error: remote a exists (${a.url}); use --force to replace it\n`);
  });

  it('asks y/N on a terminal', async () => {
    const questions: string[] = [];
    const no = await am(['remote', 'add', 'asked', b.url], {}, async (q) => (questions.push(q), 'n'));
    expect(no.err).toBe('Error: certificate not accepted; remote asked not added\n');
    expect(questions).toEqual(['Accept this certificate and pin it for remote asked? [y/N] ']);
    expect(stored().remotes.asked).toBeUndefined();
    const yes = await am(['remote', 'add', 'asked', b.url], {}, async () => 'yes');
    expect(yes.code).toBe(0);
    expect(stored().remotes.asked.fingerprint).toBe(b.fingerprint);
  });

  it('a pinned remote carries requests (bearer or client certificate); options may follow the verb', async () => {
    const viaBearer = await am(['--remote', 'a', 'whoami'], { AM_USER: 'am://user/hpe/bu1/alice' });
    expect(viaBearer).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(viaBearer.out)).toMatchObject({ principal: 'am://user/hpe/bu1/alice', server: 'server-a' });

    const withCert = await am(['--remote', 'a', '--cert', join(dir, 'client.pem'), '--key', join(dir, 'client.key'), 'whoami']);
    expect(withCert).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(withCert.out).principal).toBe('cert:alice-laptop');
    const after = await am(['whoami', '--remote', 'a', '--cert', join(dir, 'client.pem'), '--key', join(dir, 'client.key')]);
    expect(JSON.parse(after.out).principal).toBe('cert:alice-laptop');

    // Without a credential or certificate: the usual message, before any connection.
    expect((await am(['--remote', 'a', 'whoami'])).err).toBe('Error: need user id. This can be supplied with AM_USER environment variable or with --user\n');
    expect((await am(['--remote', 'zz', 'whoami'])).err).toBe('Error: no remote named zz (see am remote ls; add one with am remote add zz https://host:port)\n');
    const badKey = await am(['--remote', 'a', '--cert', join(dir, 'client.pem'), '--key', join(dir, 'server-a.key'), 'whoami']);
    expect(badKey).toEqual({ code: 1, out: '', err: `Error: the key in ${join(dir, 'server-a.key')} does not belong to the certificate in ${join(dir, 'client.pem')}\n` });
    const notKey = await am(['--remote', 'a', '--cert', join(dir, 'client.pem'), '--key', join(dir, 'client.pem'), 'whoami']);
    expect(notKey.err).toBe(`Error: ${join(dir, 'client.pem')} does not hold a readable private key (an encrypted key must be decrypted first)\n`);
    // An https URL that is not a remote is verified as usual: a self-signed server is refused, with a hint; --cacert trusts it.
    const unverified = await am(['--am_url', a.url, '--user', 'am://user/x', 'whoami']);
    expect(unverified.err).toMatch(/^Error: cannot reach the gateway at https:\/\/127\.0\.0\.1:\d+: [A-Z_]+ \(its certificate is not trusted here: add it as a remote with am remote add, or give its CA with --cacert\)\n$/);
    const withCa = await am(['--am_url', a.url, '--cacert', join(dir, 'server-a.pem'), '--user', 'am://user/x', 'whoami']);
    expect(JSON.parse(withCa.out)).toMatchObject({ principal: 'am://user/x', server: 'server-a' });
  });

  it('a remote added with a client certificate uses it; the default remote applies when no URL is given', async () => {
    const added = await am(['remote', 'add', 'mine', a.url, '--accept-fingerprint', a.fingerprint, '--cert', join(dir, 'client.pem'), '--key', join(dir, 'client.key'), '--default']);
    expect(added.out).toContain('; it is the default remote\n');
    expect(stored()).toMatchObject({ default: 'mine', remotes: { mine: { cert: join(dir, 'client.pem'), key: join(dir, 'client.key') } } });
    expect(JSON.parse((await am(['whoami'])).out).principal).toBe('cert:alice-laptop');
    expect(JSON.parse((await am(['whoami'], { AM_REMOTE: 'mine', ACCESS_MANAGER_URL: 'http://127.0.0.1:1' })).out).principal).toBe('cert:alice-laptop');
    expect((await am(['--am_url', 'http://127.0.0.1:1', 'whoami'], { AM_REMOTE: 'mine', AM_USER: 'am://user/x' })).err).toMatch(/^Error: cannot reach the gateway at http:\/\/127\.0\.0\.1:1: /);
    expect((await am(['--am_url', a.url, '--remote', 'mine', 'whoami'])).err).toBe('Error: give either --remote or --am_url, not both\n');
    // An explicit URL wins over the default remote.
    expect((await am(['whoami'], { ACCESS_MANAGER_URL: 'http://127.0.0.1:1', AM_USER: 'am://user/x' })).err).toMatch(/^Error: cannot reach the gateway at http:\/\/127\.0\.0\.1:1: /);

    expect((await am(['remote', 'set-default', 'a'])).out).toBe(`The default remote is a (${a.url})\n`);
    expect((await am(['remote', 'set-default', 'nope'])).err).toBe('Error: no remote named nope (see am remote ls)\n');
    const table = await am(['-o', 'table', 'remote', 'ls']);
    expect(table.out).toContain(`*  a      ${a.url}  ${showFingerprint(a.fingerprint)}\n`);
    expect(table.out).toContain(`   mine   ${a.url}  ${showFingerprint(a.fingerprint)}  cert ${join(dir, 'client.pem')}\n`);
    expect((await am(['remote', 'rm', 'a'])).code).toBe(0);
    expect(stored().default).toBeUndefined();
  });

  it('a server that presents another certificate than the pinned one is refused in one line', async () => {
    const config2 = stored();
    config2.remotes.moved = { url: b.url, fingerprint: a.fingerprint, addedAt: 'x' };
    writeFileSync(join(config, 'remotes.json'), JSON.stringify(config2));
    const refused = await am(['--remote', 'moved', 'whoami'], { AM_USER: 'am://user/x' });
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    expect(refused.err).toBe(
      `Error: the server at https://127.0.0.1:${new URL(b.url).port} presented a certificate with SHA-256 ${showFingerprint(b.fingerprint)}, but remote moved is pinned to ${showFingerprint(a.fingerprint)}; refusing to connect (if the server's certificate was replaced on purpose, check it and run am remote add moved ${b.url} --force)\n`,
    );
    expect((await am(['--remote', 'moved', 'status'])).err).toContain('but remote moved is pinned to');
    // Re-pinning on purpose.
    expect((await am(['remote', 'add', 'moved', b.url, '--accept-fingerprint', b.fingerprint, '--force'])).code).toBe(0);
    expect(JSON.parse((await am(['--remote', 'moved', 'whoami'], { AM_USER: 'am://user/x' })).out).server).toBe('server-b');
  });

  it('a damaged remotes.json is a clear error', async () => {
    const broken = join(dir, 'broken');
    await am(['remote', 'ls'], { AM_CONFIG_DIR: broken });
    require('node:fs').mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'remotes.json'), '{not json');
    expect((await am(['remote', 'ls'], { AM_CONFIG_DIR: broken })).err).toBe(`Error: ${join(broken, 'remotes.json')} is not valid JSON; fix or remove it\n`);
    writeFileSync(join(broken, 'remotes.json'), JSON.stringify({ remotes: { x: { url: 'https://h', fingerprint: 'short' } } }));
    expect((await am(['--remote', 'x', 'whoami'], { AM_CONFIG_DIR: broken })).err).toMatch(/remote x needs a "url" and a "fingerprint"/);
  });
});
