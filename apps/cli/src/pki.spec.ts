import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMapping, parseValidity } from './commands/pki';
import { runCli } from './program';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Reply = { status?: number; body?: unknown; type?: string };

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n';
const CHAIN = '-----BEGIN CERTIFICATE-----\nMIIBissuing\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIBroot\n-----END CERTIFICATE-----\n';
const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIBcsr\n-----END CERTIFICATE REQUEST-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIBsecretkey\n-----END PRIVATE KEY-----\n';
const FP = 'ab'.repeat(32);
const ALICE = 'am://user/hpe/bu1/alice';
const issued = (extra: object = {}) => ({
  certificate: CERT,
  chain: CHAIN,
  serial: '5f3a',
  principal: ALICE,
  notBefore: '2030-01-01T00:00:00.000Z',
  notAfter: '2030-04-01T00:00:00.000Z',
  fingerprint: FP,
  revision: 12,
  ...extra,
});

describe('am PKI verbs against a stand-in gateway', () => {
  let server: Server;
  let url: string;
  let seen: Seen[] = [];
  let reply: (s: Seen) => Reply = () => ({ body: {} });
  const dir = mkdtempSync(join(tmpdir(), 'am-cli-pki-'));
  const file = (name: string) => join(dir, name);

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const s = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        seen.push(s);
        const r = reply(s);
        res.writeHead(r.status ?? 200, { 'content-type': r.type ?? 'application/json', 'am-revision': '12' });
        res.end(Buffer.isBuffer(r.body) ? r.body : typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
      });
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFileSync(file('alice.csr'), CSR);
    writeFileSync(file('alice.pem'), CERT);
    writeFileSync(file('p12.pass'), 'correct horse\nsecond line ignored\n');
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    seen = [];
  });

  const am = async (argv: string[], env: NodeJS.ProcessEnv = { AM_USER: ALICE }, extra: { outBytes?: (b: Uint8Array) => void } = {}) => {
    let out = '';
    let err = '';
    const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: { ACCESS_MANAGER_URL: url, AM_CONFIG_DIR: file('config'), ...env }, fetch, ...extra });
    return { code, out, err };
  };
  const body = (i = 0) => JSON.parse(seen[i].body);

  it('parses durations and mapping rules', () => {
    expect(parseValidity('90d')).toBe(90 * 86_400);
    expect(parseValidity('24h')).toBe(86_400);
    expect(parseValidity('3600')).toBe(3600);
    expect(() => parseValidity('soon')).toThrow(/--validity: expected a duration/);
    expect(() => parseValidity('0s')).toThrow(/--validity/);
    expect(parseMapping('san-uri')).toEqual({ kind: 'san-uri' });
    expect(parseMapping('san-uri=am://user/small/,am://workload/small/')).toEqual({ kind: 'san-uri', allowedPrefixes: ['am://user/small/', 'am://workload/small/'] });
    expect(parseMapping('subject-template=am://user/corp/{CN}')).toEqual({ kind: 'subject-template', template: 'am://user/corp/{CN}' });
    expect(parseMapping('{"kind":"san-uri"}')).toEqual({ kind: 'san-uri' });
    expect(() => parseMapping('cn')).toThrow(/--mapping: expected san-uri/);
    expect(() => parseMapping('subject-template')).toThrow(/needs a template/);
  });

  it('ca show prints the chain without a credential; --out writes it', async () => {
    reply = () => ({ body: CHAIN, type: 'application/pem-certificate-chain' });
    const r = await am(['ca', 'show'], {});
    expect(r).toEqual({ code: 0, out: CHAIN, err: '' });
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/v1/pki/ca' });
    expect(seen[0].headers.authorization).toBeUndefined();
    expect((await am(['ca', 'show', '--out', file('chain.pem')])).out).toBe('');
    expect(readFileSync(file('chain.pem'), 'utf8')).toBe(CHAIN);
  });

  it('pki init posts to /v1/pki/ca with the key type', async () => {
    reply = () => ({ status: 201, body: { chain: CHAIN, keyType: 'rsa-4096', revision: 3 } });
    const r = await am(['pki', 'init', '--key-type', 'rsa-4096']);
    expect(r).toEqual({ code: 0, out: '{\n  "keyType": "rsa-4096",\n  "revision": 3\n}\n', err: '' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/pki/ca' });
    expect(body()).toEqual({ keyType: 'rsa-4096' });
    expect((await am(['pki', 'init', '--key-type', 'dsa'])).err).toMatch(/^error: option '--key-type <type>' argument 'dsa' is invalid/);
    reply = () => ({ status: 409, type: 'application/problem+json', body: { title: 'Conflict', status: 409, detail: 'the certificate authority already exists' } });
    expect(await am(['pki', 'init'])).toEqual({ code: 1, out: '', err: 'Error: the certificate authority already exists\n' });
  });

  it('cert sign sends the CSR, principal and server names; prints the certificate, or writes it and reports', async () => {
    reply = () => ({ status: 201, body: issued() });
    const printed = await am(['cert', 'sign', '--csr', file('alice.csr'), '--principal', ALICE]);
    expect(printed).toEqual({ code: 0, out: CERT, err: '' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/pki/sign' });
    expect(seen[0].headers.authorization).toBe(`Bearer ${ALICE}`);
    expect(body()).toEqual({ csr: CSR, principal: ALICE });

    seen = [];
    const written = await am(['cert', 'sign', '--csr', file('alice.csr'), '--principal', 'am://workload/w', '--dns', 'a.example,b.example', '--dns', 'c.example', '--ip', '10.0.0.5', '--validity', '2d', '--out', file('signed.pem'), '--chain-out', file('signed-chain.pem')]);
    expect(written.code).toBe(0);
    expect(body()).toEqual({ csr: CSR, principal: 'am://workload/w', dns: ['a.example', 'b.example', 'c.example'], ip: ['10.0.0.5'], validitySeconds: 172_800 });
    expect(JSON.parse(written.out)).toEqual({ serial: '5f3a', principal: ALICE, notBefore: issued().notBefore, notAfter: issued().notAfter, fingerprint: FP, revision: 12, files: [file('signed.pem'), file('signed-chain.pem')] });
    expect(readFileSync(file('signed.pem'), 'utf8')).toBe(CERT);
    expect(readFileSync(file('signed-chain.pem'), 'utf8')).toBe(CHAIN);

    const table = await am(['-o', 'table', 'cert', 'sign', '--csr', file('alice.csr'), '--principal', ALICE, '--out', file('signed.pem')]);
    expect(table.out).toBe(`Signed certificate 5f3a for ${ALICE}, valid until 2030-04-01T00:00:00.000Z\n  SHA-256 ${'AB:'.repeat(31)}AB\n  wrote ${file('signed.pem')}\n`);

    seen = [];
    expect((await am(['cert', 'sign', '--principal', ALICE])).err).toBe("error: required option '--csr <file>' not specified (see --help)\n");
    expect((await am(['cert', 'sign', '--csr', file('nope.csr'), '--principal', ALICE])).err).toBe(`Error: cannot read the CSR file ${file('nope.csr')}: ENOENT\n`);
    expect((await am(['cert', 'sign', '--csr', file('p12.pass'), '--principal', ALICE])).err).toMatch(/is not PEM/);
    expect((await am(['cert', 'sign', '--csr', file('alice.csr'), '--principal', ALICE, '--validity', 'forever'])).code).toBe(1);
    expect(seen).toEqual([]);
    reply = () => ({ status: 400, type: 'application/problem+json', body: { status: 400, title: 'Bad Request', detail: 'RSA keys must be at least 2048 bits', field: 'csr' } });
    expect((await am(['cert', 'sign', '--csr', file('alice.csr'), '--principal', ALICE])).err).toBe('Error: RSA keys must be at least 2048 bits\n');
  });

  it('cert issue writes the key (0600, never over a file) and the PKCS#12; the password is read from a file and never shown', async () => {
    const p12 = Buffer.from([0x30, 0x82, 0xff, 0x00, 0x01, 0x80]);
    reply = () => ({ status: 201, body: issued({ privateKey: KEY, pkcs12: p12.toString('base64') }) });
    const r = await am(['-v', 'cert', 'issue', '--principal', ALICE, '--p12', file('a.p12'), '--password-file', file('p12.pass'), '--key-out', file('a.key'), '--cert-out', file('a.pem')]);
    expect(r.code).toBe(0);
    expect(body()).toEqual({ principal: ALICE, keyType: 'ec-p256', pkcs12Password: 'correct horse' });
    expect(readFileSync(file('a.p12')).equals(p12)).toBe(true);
    expect(readFileSync(file('a.key'), 'utf8')).toBe(KEY);
    expect(readFileSync(file('a.pem'), 'utf8')).toBe(CERT);
    expect(statSync(file('a.key')).mode & 0o777).toBe(0o600);
    expect(statSync(file('a.p12')).mode & 0o777).toBe(0o600);
    for (const secret of ['correct horse', 'secretkey']) {
      expect(r.out).not.toContain(secret);
      expect(r.err).not.toContain(secret);
    }
    expect(r.err).toMatch(/> \(a body holding a credential, \d+ bytes\)/);
    expect(JSON.parse(r.out).files).toEqual([file('a.key'), file('a.p12'), file('a.pem')]);

    // Only a key: the certificate is printed.
    seen = [];
    const keyOnly = await am(['cert', 'issue', '--principal', ALICE, '--key-type', 'rsa-2048', '--key-out', file('b.key')]);
    expect(keyOnly).toEqual({ code: 0, out: CERT, err: '' });
    expect(body()).toEqual({ principal: ALICE, keyType: 'rsa-2048' });

    // Refused before any request: nowhere for the key, p12 without password, an existing key file, a short password.
    seen = [];
    expect((await am(['cert', 'issue', '--principal', ALICE])).err).toMatch(/^Error: say where the generated key goes: --key-out FILE/);
    expect((await am(['cert', 'issue', '--principal', ALICE, '--p12', file('c.p12')])).err).toBe('Error: --p12 and --password-file go together\n');
    expect((await am(['cert', 'issue', '--principal', ALICE, '--key-out', file('a.key')])).err).toBe(`Error: --key-out ${file('a.key')}: the file exists; it is not overwritten (remove it or choose another name)\n`);
    writeFileSync(file('short.pass'), 'abc\n');
    const short = await am(['cert', 'issue', '--principal', ALICE, '--p12', file('c.p12'), '--password-file', file('short.pass')]);
    expect(short.err).toBe(`Error: the password in ${file('short.pass')} must be at least 4 characters\n`);
    expect((await am(['cert', 'issue', '--principal', ALICE, '--p12', file('c.p12'), '--password-file', file('none.pass')])).err).toBe(`Error: cannot read the password file ${file('none.pass')}: ENOENT\n`);
    expect(seen).toEqual([]);
  });

  it('cert revoke by serial or by certificate file (the verb\'s own --cert), with a reason', async () => {
    const revoked = { serial: '5f3a', principal: ALICE, revokedAt: '2030-01-02T00:00:00Z', reason: 'keyCompromise', crlNumber: '4', revision: 13 };
    reply = () => ({ body: revoked });
    const bySerial = await am(['cert', 'revoke', '--serial', '5F:3A', '--reason', 'keyCompromise']);
    expect(bySerial.code).toBe(0);
    expect(JSON.parse(bySerial.out)).toEqual(revoked);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/pki/revoke' });
    expect(body()).toEqual({ serial: '5F3A', reason: 'keyCompromise' });

    seen = [];
    const byCert = await am(['-o', 'table', 'cert', 'revoke', '--cert', file('alice.pem')]);
    expect(byCert.out).toBe(`Revoked certificate 5f3a of ${ALICE} (keyCompromise); CRL number 4\n`);
    expect(body()).toEqual({ certificate: CERT });

    seen = [];
    expect((await am(['cert', 'revoke'])).err).toBe('Error: name the certificate with --serial HEX or --cert FILE\n');
    expect((await am(['cert', 'revoke', '--serial', '1', '--cert', file('alice.pem')])).err).toBe("error: option '--serial <hex>' cannot be used with option '--cert <file>' (see --help)\n");
    expect((await am(['cert', 'revoke', '--serial', '1', '--reason', 'bored'])).err).toMatch(/^error: option '--reason <reason>' argument 'bored' is invalid/);
    expect(seen).toEqual([]);
  });

  it('crl: PEM on standard output, DER to a file or as bytes, public', async () => {
    const pem = '-----BEGIN X509 CRL-----\nMIIBcrl\n-----END X509 CRL-----\n';
    const der = Buffer.from([0x30, 0x82, 0x01, 0xff, 0x80, 0x00, 0xc3]);
    reply = (s) => (s.url.includes('format=der') ? { body: der, type: 'application/pkix-crl' } : { body: pem, type: 'application/x-pem-file' });
    expect(await am(['crl'], {})).toEqual({ code: 0, out: pem, err: '' });
    expect(seen[0].headers.authorization).toBeUndefined();
    expect((await am(['crl', '--der', '--out', file('crl.der')])).code).toBe(0);
    expect(readFileSync(file('crl.der')).equals(der)).toBe(true);
    expect(seen[1]).toMatchObject({ method: 'GET', url: '/v1/pki/crl?format=der' });
    expect(seen[1].headers.accept).toBe('application/pkix-crl');
    const chunks: Uint8Array[] = [];
    expect((await am(['crl', '--der'], {}, { outBytes: (b) => chunks.push(b) })).code).toBe(0);
    expect(Buffer.concat(chunks).equals(der)).toBe(true);
    expect((await am(['crl', '--der'])).err).toBe('Error: --der writes binary: give --out FILE\n');
  });

  it('trust add|ls|rm|pin|unpin', async () => {
    const anchor = { fingerprint: FP, subject: 'CN=partner', label: 'partner', certificate: CERT, mapping: { kind: 'san-uri', allowedPrefixes: ['am://user/small/'] }, notAfter: '2031-01-01T00:00:00Z', addedBy: ALICE, addedAt: '2030-01-01T00:00:00Z' };
    reply = () => ({ status: 201, body: { anchor, revision: 20 } });
    const added = await am(['trust', 'add', '--cert', file('alice.pem'), '--mapping', 'san-uri=am://user/small/', '--label', 'partner']);
    expect(added.code).toBe(0);
    expect(body()).toEqual({ certificate: CERT, mapping: { kind: 'san-uri', allowedPrefixes: ['am://user/small/'] }, label: 'partner' });
    expect(JSON.parse(added.out).anchor.certificate).toBeUndefined();
    expect((await am(['trust', 'add', '--cert', file('alice.pem'), '--mapping', 'x'])).code).toBe(1);

    reply = () => ({ body: { anchors: [anchor], pinned: [{ fingerprint: 'cd'.repeat(32), principal: ALICE, subject: 'CN=laptop', addedBy: ALICE, addedAt: '2030-01-01T00:00:00Z' }], revision: 20 } });
    const ls = await am(['-o', 'table', 'trust', 'ls']);
    expect(ls.out.split('\n')).toEqual([
      'external CAs (1)',
      `  ${'AB:'.repeat(31)}AB  partner  CN=partner  san-uri under am://user/small/  until 2031-01-01T00:00:00Z`,
      'pinned certificates (1)',
      `  ${'CD:'.repeat(31)}CD  ${ALICE}  CN=laptop`,
      '',
    ]);

    seen = [];
    reply = () => ({ body: { revision: 21 } });
    expect((await am(['trust', 'rm', `SHA256 Fingerprint=${'AB:'.repeat(31)}AB`])).out).toBe(`No longer trusted: ${'AB:'.repeat(31)}AB\n`);
    expect(seen[0]).toMatchObject({ method: 'DELETE', url: `/v1/pki/trust?fingerprint=${FP}` });
    expect((await am(['trust', 'rm', 'abc'])).err).toBe('Error: not a SHA-256 fingerprint: "abc"\n');

    seen = [];
    reply = () => ({ status: 201, body: { pinned: { fingerprint: FP, principal: ALICE, addedBy: ALICE, addedAt: 'x' }, revision: 22 } });
    expect((await am(['trust', 'pin', '--principal', ALICE, '--fingerprint', FP.toUpperCase()])).code).toBe(0);
    expect(body()).toEqual({ principal: ALICE, fingerprint: FP });
    reply = () => ({ body: { revision: 23 } });
    expect((await am(['trust', 'unpin', FP])).code).toBe(0);
    expect(seen[1]).toMatchObject({ method: 'DELETE', url: `/v1/pki/pins?fingerprint=${FP}` });
  });

  it('global options work before and after the verb; a client certificate needs https', async () => {
    reply = () => ({ body: { principal: ALICE, via: 'credential', revision: 1 } });
    expect((await am(['whoami', '--user', 'am://user/x'])).code).toBe(0);
    expect(seen[0].headers.authorization).toBe('Bearer am://user/x');
    const verbose = await am(['ca', 'show', '-v'], {});
    expect(verbose.err).toContain('> GET ');
    const http = await am(['--cert', file('alice.pem'), '--key', file('alice.pem'), 'whoami']);
    expect(http.err).toBe(`Error: a client certificate needs an https:// gateway (the gateway is ${url}; its HTTPS port is 8443 by default)\n`);
    expect((await am(['whoami', '--cert', file('alice.pem')])).err).toBe('Error: give the client certificate with both --cert FILE and --key FILE\n');
  });
});
