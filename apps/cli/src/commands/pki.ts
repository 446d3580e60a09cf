/**
 * The PKI verbs over /v1/pki: `pki init`, `ca show`, `cert sign|issue|revoke`, `crl`,
 * `trust add|ls|rm|pin|unpin`. Certificates and CRLs are printed as PEM (or written with
 * --out); reports are JSON, or lines with `--output table`. Private keys and PKCS#12 keystores
 * are only ever written to files the caller names (mode 0600, never over an existing file), and
 * a PKCS#12 password is read from a file and never shown, not even with -v.
 */
import { Command, Option } from 'commander';
import { constants } from 'node:fs';
import { access, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Context } from '../context';
import { examples, readPem } from '../context';
import { CliError } from '../errors';
import { list } from '../paths';
import { parseFingerprint, showFingerprint } from '../remotes';

export const KEY_TYPES = ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'];
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
  'aACompromise',
];

interface Issued {
  certificate: string;
  chain: string;
  serial: string;
  principal: string;
  notBefore: string;
  notAfter: string;
  fingerprint: string;
  revision: number;
  privateKey?: string;
  pkcs12?: string;
}

interface TrustAnchor {
  fingerprint: string;
  subject: string;
  label: string;
  mapping: { kind: string; allowedPrefixes?: string[]; template?: string };
  notAfter: string;
  addedBy: string;
  addedAt: string;
  certificate?: string;
}

interface Pinned {
  fingerprint: string;
  principal: string;
  subject?: string;
  notAfter?: string;
  addedBy: string;
  addedAt: string;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 365 * 86_400 };

/** `90d`, `24h`, `30m`, `3600s` or `3600` (seconds) as whole seconds. */
export function parseValidity(text: string): number {
  const m = /^\s*(\d+)\s*([smhdwy]?)\s*$/i.exec(text);
  const seconds = m ? Number(m[1]) * UNITS[(m[2] || 's').toLowerCase()] : NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new CliError(`--validity: expected a duration such as 90d, 24h, 30m or 3600s (got ${JSON.stringify(text)})`);
  return seconds;
}

/** A mapping rule: `san-uri`, `san-uri=PREFIX[,PREFIX…]`, `subject-template=TEMPLATE`, or the rule as JSON. */
export function parseMapping(text: string): TrustAnchor['mapping'] {
  const t = text.trim();
  if (t.startsWith('{')) {
    try {
      return JSON.parse(t);
    } catch {
      throw new CliError('--mapping: not valid JSON');
    }
  }
  const m = /^(san-uri|subject-template)(?:[=:](.*))?$/s.exec(t);
  if (!m) throw new CliError(`--mapping: expected san-uri, san-uri=PREFIX[,PREFIX], subject-template=TEMPLATE or JSON (got ${JSON.stringify(text)})`);
  if (m[1] === 'san-uri') {
    const prefixes = (m[2] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    return prefixes.length ? { kind: 'san-uri', allowedPrefixes: prefixes } : { kind: 'san-uri' };
  }
  if (!m[2]) throw new CliError('--mapping: subject-template needs a template, e.g. subject-template=am://user/partner/{CN}');
  return { kind: 'subject-template', template: m[2] };
}

/** Reads a whole file named by an option (`-` is standard input). */
async function readInput(c: Context, file: string, what: string): Promise<string> {
  if (file === '-') {
    if (!c.io.readStdin) throw new CliError(`no standard input to read the ${what} from`);
    return c.io.readStdin();
  }
  return readPem(file, what);
}

/** Fails before anything is requested when an output could not be written (a key is returned once). */
async function checkWritable(file: string | undefined, mustNotExist: boolean, option: string): Promise<void> {
  if (!file) return;
  if (mustNotExist) {
    const exists = await access(file).then(
      () => true,
      () => false,
    );
    if (exists) throw new CliError(`${option} ${file}: the file exists; it is not overwritten (remove it or choose another name)`);
  }
  try {
    await access(dirname(file), constants.W_OK);
  } catch {
    throw new CliError(`${option} ${file}: cannot write into ${dirname(file)}`);
  }
}

async function writeOut(file: string, data: string | Buffer, secret = false): Promise<void> {
  try {
    await writeFile(file, data, secret ? { mode: 0o600, flag: 'wx' } : {});
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

const pemEnd = (pem: string) => (pem.endsWith('\n') ? pem : `${pem}\n`);

/** What an issuance reports (never the key). */
function summary(r: Issued) {
  return { serial: r.serial, principal: r.principal, notBefore: r.notBefore, notAfter: r.notAfter, fingerprint: r.fingerprint, revision: r.revision };
}

function report(c: Context, r: Issued, verb: string, files: string[]): void {
  if (c.output === 'table') {
    c.print(`${verb} certificate ${r.serial} for ${r.principal}, valid until ${r.notAfter}`);
    c.print(`  SHA-256 ${showFingerprint(r.fingerprint)}`);
    for (const f of files) c.print(`  wrote ${f}`);
  } else c.json({ ...summary(r), files });
}

const collect = (value: string, previous: string[] = []) => list(value, previous);

export function registerPkiCommands(program: Command, ctx: () => Context): void {
  // ---- am pki init ----------------------------------------------------------------------------
  const pki = examples(program.command('pki').description('the certificate authority itself'), 'am pki init');
  examples(
    pki
      .command('init')
      .description('create the certificate authority (root and issuing CA) when the pki runs with AM_PKI_AUTO_INIT=false; needs ADMIN on am://')
      .addOption(new Option('--key-type <type>', 'CA key algorithm (default: the service\'s AM_PKI_KEY_TYPE)').choices(KEY_TYPES)),
    'AM_USER=am://user/the-operator am pki init',
    'am pki init --key-type rsa-4096',
  ).action(async (o: { keyType?: string }) => {
    const c = ctx();
    const gw = await c.gateway();
    const r = await gw.request<{ chain: string; keyType: string; revision: number }>('POST', '/v1/pki/ca', { body: o.keyType ? { keyType: o.keyType } : {} });
    if (c.output === 'table') c.print(`Created the certificate authority (${r.body.keyType}); see am ca show`);
    else c.json({ keyType: r.body.keyType, revision: r.body.revision });
  });

  // ---- am ca show -------------------------------------------------------------------------------
  const ca = examples(program.command('ca').description('the CA chain'), 'am ca show > chain.pem');
  examples(
    ca
      .command('show')
      .description('print the CA chain, issuing CA first, as PEM (public: no credential needed)')
      .option('--out <file>', 'write the chain to a file instead'),
    'am ca show > chain.pem',
    'am ca show --out chain.pem && openssl verify -CAfile chain.pem alice.pem',
  ).action(async (o: { out?: string }) => {
    const c = ctx();
    const gw = await c.gateway(false);
    const r = await gw.request('GET', '/v1/pki/ca', { auth: false, headers: { accept: 'application/pem-certificate-chain, */*' } });
    if (!r.text.includes('-----BEGIN CERTIFICATE-----')) throw new CliError('the gateway did not answer with a PEM chain');
    if (o.out) await writeOut(o.out, pemEnd(r.text));
    else c.io.out(pemEnd(r.text));
  });

  // ---- am cert sign|issue|revoke ----------------------------------------------------------------
  const cert = examples(
    program.command('cert').description('certificates: sign a CSR, issue with a generated key, revoke'),
    'am cert sign --csr alice.csr --principal am://user/hpe/bu1/alice > alice.pem',
    'am cert issue --principal am://user/hpe/bu1/alice --key-out alice.key --cert-out alice.pem',
    'am cert revoke --cert alice.pem --reason superseded',
  );
  examples(
    cert
      .command('sign')
      .description('sign a certificate signing request (PEM, e.g. from openssl req) for a principal: yourself, or one you may vouch for')
      .requiredOption('--csr <file>', 'the CSR (PEM); - reads standard input')
      .requiredOption('--principal <path>', 'the principal the certificate stands for (its SAN URI)')
      .option('--dns <names>', 'DNS names for a server certificate (workloads; each granted by a cert-names annotation; repeat or comma-separate)', collect)
      .option('--ip <addresses>', 'IP addresses for a server certificate (workloads; repeat or comma-separate)', collect)
      .option('--validity <duration>', 'requested lifetime, e.g. 90d or 24h (capped by the service)')
      .option('--out <file>', 'write the certificate here (default: print it)')
      .option('--chain-out <file>', 'write the CA chain (issuing CA, root) here'),
    'am cert sign --csr alice.csr --principal am://user/hpe/bu1/alice > alice.pem',
    'am cert sign --csr web.csr --principal am://workload/hpe/web --dns web.example.com --ip 10.0.0.5 --out web.pem --chain-out chain.pem',
    '# a CSR: openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout alice.key -subj /CN=alice -out alice.csr',
  ).action(async (o: { csr: string; principal: string; dns?: string[]; ip?: string[]; validity?: string; out?: string; chainOut?: string }) => {
    const c = ctx();
    const validitySeconds = o.validity === undefined ? undefined : parseValidity(o.validity);
    const csr = await readInput(c, o.csr, 'CSR');
    await checkWritable(o.out, false, '--out');
    await checkWritable(o.chainOut, false, '--chain-out');
    const gw = await c.gateway();
    const r = await gw.request<Issued>('POST', '/v1/pki/sign', { body: { csr, principal: o.principal, dns: o.dns, ip: o.ip, validitySeconds } });
    const files: string[] = [];
    if (o.chainOut) {
      await writeOut(o.chainOut, pemEnd(r.body.chain));
      files.push(o.chainOut);
    }
    if (!o.out) {
      c.io.out(pemEnd(r.body.certificate));
      return;
    }
    await writeOut(o.out, pemEnd(r.body.certificate));
    report(c, r.body, 'Signed', [o.out, ...files]);
  });

  examples(
    cert
      .command('issue')
      .description('issue a certificate with a key the service generates (returned once): written as key and certificate files and/or a password-protected PKCS#12')
      .requiredOption('--principal <path>', 'the principal the certificate stands for')
      .addOption(new Option('--key-type <type>', 'key algorithm').choices(KEY_TYPES).default('ec-p256'))
      .option('--dns <names>', 'DNS names for a server certificate (workloads; each granted by a cert-names annotation; repeat or comma-separate)', collect)
      .option('--ip <addresses>', 'IP addresses for a server certificate (workloads; repeat or comma-separate)', collect)
      .option('--validity <duration>', 'requested lifetime, e.g. 90d or 24h (capped by the service)')
      .option('--p12 <file>', 'write a PKCS#12 keystore (key, certificate, chain) here; needs --password-file')
      .option('--password-file <file>', 'the PKCS#12 password: the file\'s first line (at least 4 characters)')
      .option('--key-out <file>', 'write the private key (PKCS#8 PEM) here, mode 0600')
      .option('--cert-out <file>', 'write the certificate here (default: print it, unless --p12 alone)')
      .option('--chain-out <file>', 'write the CA chain here'),
    'am cert issue --principal am://user/hpe/bu1/alice --key-out alice.key --cert-out alice.pem',
    'am cert issue --principal am://user/hpe/bu1/alice --p12 alice.p12 --password-file p12.pass',
    'openssl pkcs12 -in alice.p12 -passin file:p12.pass -info -noout',
  ).action(
    async (o: { principal: string; keyType: string; dns?: string[]; ip?: string[]; validity?: string; p12?: string; passwordFile?: string; keyOut?: string; certOut?: string; chainOut?: string }) => {
      const c = ctx();
      if (!o.p12 && !o.keyOut) throw new CliError('say where the generated key goes: --key-out FILE and/or --p12 FILE --password-file F (it is returned only once)');
      if (!!o.p12 !== !!o.passwordFile) throw new CliError('--p12 and --password-file go together');
      const validitySeconds = o.validity === undefined ? undefined : parseValidity(o.validity);
      let pkcs12Password: string | undefined;
      if (o.passwordFile) {
        let text: string;
        try {
          text = await readFile(o.passwordFile, 'utf8');
        } catch (err) {
          throw new CliError(`cannot read the password file ${o.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
        }
        pkcs12Password = text.split(/\r?\n/)[0];
        if (pkcs12Password.length < 4) throw new CliError(`the password in ${o.passwordFile} must be at least 4 characters`);
      }
      await checkWritable(o.keyOut, true, '--key-out');
      await checkWritable(o.p12, true, '--p12');
      await checkWritable(o.certOut, false, '--cert-out');
      await checkWritable(o.chainOut, false, '--chain-out');
      const gw = await c.gateway();
      const r = await gw.request<Issued>('POST', '/v1/pki/issue', {
        body: { principal: o.principal, keyType: o.keyType, dns: o.dns, ip: o.ip, validitySeconds, pkcs12Password },
        // The body holds the password: -v shows only its size.
        secretBody: pkcs12Password !== undefined,
      });
      const files: string[] = [];
      if (o.keyOut) {
        if (!r.body.privateKey) throw new CliError('the gateway returned no private key');
        await writeOut(o.keyOut, pemEnd(r.body.privateKey), true);
        files.push(o.keyOut);
      }
      if (o.p12) {
        if (!r.body.pkcs12) throw new CliError('the gateway returned no PKCS#12 keystore');
        await writeOut(o.p12, Buffer.from(r.body.pkcs12, 'base64'), true);
        files.push(o.p12);
      }
      if (o.certOut) {
        await writeOut(o.certOut, pemEnd(r.body.certificate));
        files.push(o.certOut);
      }
      if (o.chainOut) {
        await writeOut(o.chainOut, pemEnd(r.body.chain));
        files.push(o.chainOut);
      }
      if (!o.certOut && !o.p12) c.io.out(pemEnd(r.body.certificate));
      else report(c, r.body, 'Issued', files);
    },
  );

  examples(
    cert
      .command('revoke')
      .description('revoke a certificate (yours, or one whose principal you administer); the CRL is reissued at once')
      .addOption(new Option('--serial <hex>', 'the serial number, hex').conflicts('cert'))
      .option('--cert <file>', 'the certificate (PEM) to revoke')
      .addOption(new Option('--reason <reason>', 'RFC 5280 reason').choices(REVOCATION_REASONS)),
    'am cert revoke --serial 5f3a9c...',
    'am cert revoke --cert alice.pem --reason keyCompromise',
    'am --cert admin.pem --key admin.key --remote prod cert revoke --cert lost-laptop.pem',
  ).action(async (o: { serial?: string; cert?: string; reason?: string }) => {
    const c = ctx();
    if (!o.serial && !o.cert) throw new CliError('name the certificate with --serial HEX or --cert FILE');
    const body: Record<string, string> = o.serial ? { serial: o.serial.trim().replace(/^0x/i, '').replace(/:/g, '') } : { certificate: await readPem(o.cert!, 'certificate') };
    if (o.reason) body.reason = o.reason;
    const gw = await c.gateway();
    const r = await gw.request<{ serial: string; principal: string; revokedAt: string; reason: string; crlNumber: string; revision: number }>('POST', '/v1/pki/revoke', { body });
    if (c.output === 'table') c.print(`Revoked certificate ${r.body.serial} of ${r.body.principal} (${r.body.reason}); CRL number ${r.body.crlNumber}`);
    else c.json(r.body);
  });

  // ---- am crl -----------------------------------------------------------------------------------
  examples(
    program
      .command('crl')
      .description('the current certificate revocation list: PEM, or DER with --der (public: no credential needed)')
      .option('--der', 'DER instead of PEM')
      .option('--out <file>', 'write it to a file instead of standard output'),
    'am crl > crl.pem && openssl verify -crl_check -CRLfile crl.pem -CAfile chain.pem alice.pem',
    'am crl --der --out crl.der',
  ).action(async (o: { der?: boolean; out?: string }) => {
    const c = ctx();
    if (o.der && !o.out && !c.io.outBytes) throw new CliError('--der writes binary: give --out FILE');
    const gw = await c.gateway(false);
    const r = await gw.request('GET', '/v1/pki/crl', o.der ? { auth: false, query: { format: 'der' }, headers: { accept: 'application/pkix-crl' } } : { auth: false, headers: { accept: 'application/x-pem-file, */*' } });
    if (!o.der && !r.text.includes('-----BEGIN X509 CRL-----')) throw new CliError('the gateway did not answer with a PEM CRL');
    const data = o.der ? r.bytes : pemEnd(r.text);
    if (o.out) await writeOut(o.out, data);
    else if (o.der) c.io.outBytes!(r.bytes);
    else c.io.out(data as string);
  });

  // ---- am trust add|ls|rm|pin|unpin -------------------------------------------------------------
  const trust = examples(
    program.command('trust').description('the trust store: external CAs with their principal mapping, and pinned self-signed client certificates'),
    "am trust add --cert partner-ca.pem --mapping 'san-uri=am://user/small/'",
    'am trust ls',
    'am trust rm 3F:A2:…:9C',
  );
  examples(
    trust
      .command('add')
      .description('trust an external CA; its client certificates map to principals by the rule (ADMIN on the area the rule names)')
      .requiredOption('--cert <file>', 'the CA certificate (PEM)')
      .requiredOption('--mapping <rule>', 'san-uri (the am:// SAN URI, under am://user/ or am://workload/), san-uri=PREFIX[,PREFIX], subject-template=TEMPLATE, or the rule as JSON')
      .option('--label <text>', 'a name for people'),
    "am trust add --cert partner-ca.pem --mapping 'san-uri=am://user/small/' --label partner",
    "am trust add --cert corp-ca.pem --mapping 'subject-template=am://user/corp/{CN}'",
  ).action(async (o: { cert: string; mapping: string; label?: string }) => {
    const c = ctx();
    const mapping = parseMapping(o.mapping);
    const certificate = await readPem(o.cert, 'CA certificate');
    const gw = await c.gateway();
    const r = await gw.request<{ anchor: TrustAnchor; revision: number }>('POST', '/v1/pki/trust', { body: { certificate, mapping, label: o.label } });
    if (c.output === 'table') c.print(`Trusted ${r.body.anchor.subject} (SHA-256 ${showFingerprint(r.body.anchor.fingerprint)}), mapping ${mappingText(r.body.anchor.mapping)}`);
    else c.json({ ...r.body, anchor: { ...r.body.anchor, certificate: undefined } });
  });

  examples(
    trust.command('ls').description('the trusted external CAs and the pinned certificates you may see'),
    'am trust ls',
    'am --output table trust ls',
  ).action(async () => {
    const c = ctx();
    const gw = await c.gateway();
    const r = await gw.request<{ anchors: TrustAnchor[]; pinned: Pinned[]; revision: number }>('GET', '/v1/pki/trust');
    const anchors = r.body.anchors.map(({ certificate: _pem, ...a }) => a);
    if (c.output !== 'table') {
      c.json({ anchors, pinned: r.body.pinned });
      return;
    }
    c.print(`external CAs (${anchors.length})`);
    c.table(anchors.map((a) => [showFingerprint(a.fingerprint), a.label || '-', a.subject, mappingText(a.mapping), `until ${a.notAfter}`]), '  ');
    c.print(`pinned certificates (${r.body.pinned.length})`);
    c.table(r.body.pinned.map((p) => [showFingerprint(p.fingerprint), p.principal, p.subject ?? '-', p.notAfter ? `until ${p.notAfter}` : '']), '  ');
  });

  examples(
    trust
      .command('rm')
      .description('stop trusting an external CA, named by its SHA-256 fingerprint (as am trust ls shows it)')
      .argument('<fingerprint>', 'SHA-256 fingerprint, AB:CD:… or hex'),
    'am trust rm 3F:A2:…:9C',
    'am trust rm "$(openssl x509 -in partner-ca.pem -noout -fingerprint -sha256)"',
  ).action(async (fp: string) => {
    const c = ctx();
    const fingerprint = parseFingerprint(fp);
    if (!fingerprint) throw new CliError(`not a SHA-256 fingerprint: ${JSON.stringify(fp.slice(0, 120))}`);
    const gw = await c.gateway();
    await gw.request('DELETE', '/v1/pki/trust', { query: { fingerprint } });
    c.print(`No longer trusted: ${showFingerprint(fingerprint)}`);
  });

  examples(
    trust
      .command('pin')
      .description('register a self-signed client certificate on a principal (yours, or one you administer)')
      .requiredOption('--principal <path>', 'the principal it stands for')
      .addOption(new Option('--cert <file>', 'the certificate (PEM)').conflicts('fingerprint'))
      .option('--fingerprint <sha256>', 'or only its SHA-256 fingerprint'),
    'am trust pin --principal am://user/hpe/bu1/alice --cert laptop.pem',
  ).action(async (o: { principal: string; cert?: string; fingerprint?: string }) => {
    const c = ctx();
    if (!o.cert && !o.fingerprint) throw new CliError('give the certificate with --cert FILE or --fingerprint SHA256');
    const body: Record<string, string> = { principal: o.principal };
    if (o.cert) body.certificate = await readPem(o.cert, 'certificate');
    else {
      const fingerprint = parseFingerprint(o.fingerprint!);
      if (!fingerprint) throw new CliError(`not a SHA-256 fingerprint: ${JSON.stringify(o.fingerprint!.slice(0, 120))}`);
      body.fingerprint = fingerprint;
    }
    const gw = await c.gateway();
    const r = await gw.request<{ pinned: Pinned; revision: number }>('POST', '/v1/pki/pins', { body });
    if (c.output === 'table') c.print(`Pinned ${showFingerprint(r.body.pinned.fingerprint)} on ${r.body.pinned.principal}`);
    else c.json(r.body);
  });

  examples(
    trust.command('unpin').description('remove a pinned certificate, named by its SHA-256 fingerprint').argument('<fingerprint>', 'SHA-256 fingerprint, AB:CD:… or hex'),
    'am trust unpin 3F:A2:…:9C',
  ).action(async (fp: string) => {
    const c = ctx();
    const fingerprint = parseFingerprint(fp);
    if (!fingerprint) throw new CliError(`not a SHA-256 fingerprint: ${JSON.stringify(fp.slice(0, 120))}`);
    const gw = await c.gateway();
    await gw.request('DELETE', '/v1/pki/pins', { query: { fingerprint } });
    c.print(`Unpinned ${showFingerprint(fingerprint)}`);
  });
}

function mappingText(m: TrustAnchor['mapping']): string {
  if (m.kind === 'san-uri') return `san-uri${m.allowedPrefixes?.length ? ` under ${m.allowedPrefixes.join(', ')}` : ''}`;
  return `subject-template ${m.template ?? ''}`;
}
