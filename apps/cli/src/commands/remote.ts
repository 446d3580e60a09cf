/**
 * `am remote add|ls|set-default|rm`: named HTTPS gateways whose server certificate is accepted
 * once by its fingerprint and pinned from then on (see ../remotes.ts).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Context } from '../context';
import { examples, readPem } from '../context';
import { CliError } from '../errors';
import { httpsEndpoint, parseFingerprint, probeServerCertificate, REMOTE_NAME, showFingerprint, type Remote } from '../remotes';

export function registerRemoteCommands(program: Command, ctx: () => Context): void {
  const remote = program
    .command('remote')
    .description('named gateways over HTTPS, with their server certificate pinned')
    .addHelpText(
      'after',
      `
Remotes are kept in $AM_CONFIG_DIR/remotes.json (default ~/.config/am/remotes.json, mode 0600).
A remote's server certificate is pinned: a connection that presents any other certificate is refused.

Examples:
  am remote add prod https://am.example.com:8443
  am remote add ci https://127.0.0.1:8443 --accept-fingerprint 3F:A2:…:9C --cert ci.pem --key ci.key
  am remote set-default prod
  am --remote ci whoami
`,
    );

  examples(
    remote
      .command('add')
      .description('connect to an HTTPS gateway, show its certificate\'s SHA-256 fingerprint, and pin it once accepted (y/N on a terminal, else --accept-fingerprint)')
      .argument('<name>', 'a name for it (letters, digits, . _ -)')
      .argument('<url>', 'https://host:port (the gateway\'s HTTPS port, 8443 by default)')
      .option('--accept-fingerprint <sha256>', 'accept the certificate only if it has this SHA-256 fingerprint (AB:CD:… or hex); needed when not on a terminal')
      .option('--cert <file>', 'a client certificate (PEM) to use with this remote (mTLS)')
      .option('--key <file>', 'its private key (PEM); the path is stored, never the key')
      .option('--default', 'make it the default remote')
      .option('--force', 'replace a remote of the same name (e.g. after the server\'s certificate was replaced)'),
    'am remote add prod https://am.example.com:8443',
    'am remote add local https://127.0.0.1:8443 --accept-fingerprint "$(openssl s_client -connect 127.0.0.1:8443 </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256)"',
    'am remote add me https://127.0.0.1:8443 --cert alice.pem --key alice.key --default',
  ).action(async (name: string, url: string, o: { acceptFingerprint?: string; cert?: string; key?: string; default?: boolean; force?: boolean }) => {
    const c = ctx();
    if (!REMOTE_NAME.test(name)) throw new CliError(`remote name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-' (at most 64)`);
    const endpoint = httpsEndpoint(url);
    if ((o.cert === undefined) !== (o.key === undefined)) throw new CliError('give the client certificate with both --cert FILE and --key FILE');
    let accepted: string | undefined;
    if (o.acceptFingerprint !== undefined) {
      accepted = parseFingerprint(o.acceptFingerprint);
      if (!accepted) throw new CliError(`--accept-fingerprint: not a SHA-256 fingerprint: ${JSON.stringify(o.acceptFingerprint.slice(0, 120))}`);
    }
    const store = c.remotes();
    const config = await store.load();
    const existing = Object.prototype.hasOwnProperty.call(config.remotes, name) ? config.remotes[name] : undefined;
    if (existing && !o.force) throw new CliError(`remote ${name} exists (${existing.url}); use --force to replace it`);
    const cert = o.cert ? resolve(o.cert) : undefined;
    const key = o.key ? resolve(o.key) : undefined;
    if (cert) await readPem(cert, 'client certificate');
    if (key) await readPem(key, 'client key');

    const server = await probeServerCertificate(endpoint.url);
    c.print(`The server at ${endpoint.url} presented this certificate:`);
    c.print(`  subject  ${server.subject || '(empty)'}`);
    c.print(`  issuer   ${server.issuer || '(empty)'}`);
    if (server.subjectAltName) c.print(`  names    ${server.subjectAltName}`);
    c.print(`  valid    ${server.validFrom} to ${server.validTo}`);
    c.print(`  SHA-256  ${showFingerprint(server.fingerprint)}`);

    if (accepted !== undefined) {
      if (accepted !== server.fingerprint) {
        throw new CliError(`the server's certificate has SHA-256 ${showFingerprint(server.fingerprint)}, not the ${showFingerprint(accepted)} given with --accept-fingerprint; remote ${name} not added`);
      }
    } else if (c.io.prompt) {
      const answer = await c.io.prompt(`Accept this certificate and pin it for remote ${name}? [y/N] `);
      if (!/^\s*y(es)?\s*$/i.test(answer)) throw new CliError(`certificate not accepted; remote ${name} not added`);
    } else {
      throw new CliError(`not on a terminal, so nobody can confirm the certificate: check the fingerprint above and run again with --accept-fingerprint ${showFingerprint(server.fingerprint)}`);
    }

    const entry: Remote = { url: endpoint.url, fingerprint: server.fingerprint, ...(cert ? { cert, key } : {}), addedAt: new Date().toISOString() };
    config.remotes[name] = entry;
    if (o.default) config.default = name;
    await store.save(config);
    c.print(`Added remote ${name} (${endpoint.url}), pinned to SHA-256 ${showFingerprint(server.fingerprint)}${o.default ? '; it is the default remote' : ''}`);
  });

  examples(
    remote.command('ls').description('the remotes, with their pinned fingerprints (* marks the default)'),
    'am remote ls',
    'am --output table remote ls',
  ).action(async () => {
    const c = ctx();
    const store = c.remotes();
    const config = await store.load();
    const rows = Object.entries(config.remotes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, r]) => ({ name, default: config.default === name, url: r.url, fingerprint: showFingerprint(r.fingerprint), cert: r.cert, key: r.key, addedAt: r.addedAt }));
    if (c.output !== 'table') {
      c.json({ default: config.default ?? null, file: store.file, remotes: rows });
      return;
    }
    if (rows.length === 0) c.print('no remotes (add one with am remote add NAME https://host:port)');
    c.table(rows.map((r) => [r.default ? '*' : ' ', r.name, r.url, r.fingerprint, r.cert ? `cert ${r.cert}` : '']));
  });

  examples(
    remote
      .command('set-default')
      .description('use this remote when neither --remote, --am_url nor ACCESS_MANAGER_URL says otherwise')
      .argument('<name>', 'a remote'),
    'am remote set-default prod',
  ).action(async (name: string) => {
    const c = ctx();
    const store = c.remotes();
    const config = await store.load();
    if (!Object.prototype.hasOwnProperty.call(config.remotes, name)) throw new CliError(`no remote named ${name} (see am remote ls)`);
    config.default = name;
    await store.save(config);
    c.print(`The default remote is ${name} (${config.remotes[name].url})`);
  });

  examples(
    remote.command('rm').description('forget a remote (and its pinned certificate)').argument('<name>', 'a remote'),
    'am remote rm old',
  ).action(async (name: string) => {
    const c = ctx();
    const store = c.remotes();
    const config = await store.load();
    if (!Object.prototype.hasOwnProperty.call(config.remotes, name)) throw new CliError(`no remote named ${name} (see am remote ls)`);
    delete config.remotes[name];
    if (config.default === name) delete config.default;
    await store.save(config);
    c.print(`Removed remote ${name}`);
  });
}
