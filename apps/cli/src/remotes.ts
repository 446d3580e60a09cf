/**
 * Remotes: named gateways reached over HTTPS whose server certificate was shown to the user once
 * and accepted by its SHA-256 fingerprint (trust on first use). They are kept in
 * `$AM_CONFIG_DIR/remotes.json` (else `$XDG_CONFIG_HOME/am`, else `~/.config/am`), mode 0600, and
 * every later connection to a remote must present exactly the accepted certificate.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { CliError } from './errors';

export interface Remote {
  /** https://host:port */
  url: string;
  /** SHA-256 of the accepted server certificate (DER), lowercase hex. */
  fingerprint: string;
  /** Client certificate and key files used for mTLS with this remote (absolute paths). */
  cert?: string;
  key?: string;
  addedAt: string;
}

export interface RemotesConfig {
  default?: string;
  remotes: Record<string, Remote>;
}

export const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The directory holding remotes.json. */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.AM_CONFIG_DIR) return env.AM_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'am');
}

/** remotes.json: read as a whole, written as a whole (atomically, owner-only). */
export class RemoteStore {
  readonly dir: string;
  readonly file: string;

  constructor(env: NodeJS.ProcessEnv) {
    this.dir = configDir(env);
    this.file = join(this.dir, 'remotes.json');
  }

  async load(): Promise<RemotesConfig> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { remotes: {} };
      throw new CliError(`cannot read ${this.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CliError(`${this.file} is not valid JSON; fix or remove it`);
    }
    const config = parsed as Partial<RemotesConfig>;
    if (!config || typeof config !== 'object' || typeof config.remotes !== 'object' || config.remotes === null) {
      throw new CliError(`${this.file} has no "remotes" object; fix or remove it`);
    }
    for (const [name, r] of Object.entries(config.remotes)) {
      if (!r || typeof r.url !== 'string' || typeof r.fingerprint !== 'string' || !/^[0-9a-f]{64}$/.test(r.fingerprint)) {
        throw new CliError(`${this.file}: remote ${name} needs a "url" and a "fingerprint" (64 lowercase hex digits)`);
      }
    }
    return { default: typeof config.default === 'string' ? config.default : undefined, remotes: config.remotes };
  }

  async save(config: RemotesConfig): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
      await chmod(tmp, 0o600); // whatever the umask did
      await rename(tmp, this.file);
    } catch (err) {
      throw new CliError(`cannot write ${this.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }

  async get(name: string): Promise<Remote> {
    const config = await this.load();
    const remote = Object.prototype.hasOwnProperty.call(config.remotes, name) ? config.remotes[name] : undefined;
    if (!remote) throw new CliError(`no remote named ${name} (see am remote ls; add one with am remote add ${name} https://host:port)`);
    return remote;
  }
}

/**
 * A SHA-256 fingerprint in any usual spelling — `AB:CD:…` (openssl, browsers), plain hex, with a
 * `SHA256:`/`sha256 Fingerprint=` prefix — as lowercase hex; undefined when it is not one.
 */
export function parseFingerprint(input: string): string | undefined {
  const hex = input
    .trim()
    .replace(/^sha-?256(\s*fingerprint)?\s*[:=]?\s*/i, '')
    .replace(/[:\s]/g, '')
    .toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/** `AB:CD:…`, as openssl and browsers show fingerprints. */
export const showFingerprint = (hex: string): string => hex.toUpperCase().match(/../g)!.join(':');

export const fingerprintOf = (der: Buffer): string => createHash('sha256').update(der).digest('hex');

/** host and port of an https:// URL (the port defaults to 443). */
export function httpsEndpoint(url: string): { host: string; port: number; url: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CliError(`not a URL: ${url} (expected https://host:port)`);
  }
  if (u.protocol !== 'https:') throw new CliError(`a remote must be an https:// URL (got ${url})`);
  if (u.username || u.password) throw new CliError('a remote URL must not hold a user name or password');
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) throw new CliError(`a remote URL is https://host:port, without a path (got ${url})`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: u.port ? Number(u.port) : 443, url: `https://${u.host}` };
}

export interface ServerCertificate {
  fingerprint: string;
  subject: string;
  issuer: string;
  subjectAltName?: string;
  validFrom: string;
  validTo: string;
}

/** Connects with TLS (no verification: this is where the user decides) and returns the server's certificate. */
export function probeServerCertificate(url: string, timeoutMs = 10_000): Promise<ServerCertificate> {
  const { host, port } = httpsEndpoint(url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    const fail = (why: string) => {
      socket.destroy();
      reject(new CliError(`cannot connect to ${url}: ${why}`));
    };
    socket.setTimeout(timeoutMs, () => fail(`no TLS handshake within ${timeoutMs / 1000}s`));
    socket.once('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate()?.raw;
      socket.end();
      if (!raw || raw.length === 0) return fail('the server presented no certificate');
      const x = new X509Certificate(raw);
      resolve({
        fingerprint: fingerprintOf(raw),
        subject: x.subject.replace(/\n/g, ', '),
        issuer: x.issuer.replace(/\n/g, ', '),
        subjectAltName: x.subjectAltName,
        validFrom: new Date(x.validFrom).toISOString(),
        validTo: new Date(x.validTo).toISOString(),
      });
    });
  });
}

/** The server did not present the pinned certificate. */
export class PinMismatchError extends CliError {}

export interface TlsClientOptions {
  /** Pin: the server must present exactly this certificate (SHA-256 hex); chain and name are not checked then. */
  pin?: { fingerprint: string; remote: string };
  /** CA certificates (PEM) to verify the server with, instead of the system's (when not pinned). */
  ca?: string;
  /** Client certificate and key (PEM) for mTLS. */
  cert?: string;
  key?: string;
}

/** A fetch over HTTPS with a pinned server certificate and/or a client certificate; `close` ends its connections. */
export function tlsFetch(options: TlsClientOptions): { fetch: typeof fetch; close: () => Promise<void> } {
  const base = buildConnector({
    rejectUnauthorized: !options.pin,
    ca: options.pin ? undefined : options.ca,
    cert: options.cert,
    key: options.key,
    // No session resumption: every connection shows its certificate afresh.
    maxCachedSessions: 0,
  });
  const pin = options.pin;
  const connect: buildConnector.connector = pin
    ? (opts, callback) =>
        base(opts, (err, socket) => {
          if (err) return callback(err, null);
          const raw = (socket as TLSSocket).getPeerCertificate?.()?.raw;
          const got = raw && raw.length ? fingerprintOf(raw) : 'none';
          if (got !== pin.fingerprint) {
            socket!.destroy();
            const origin = `${opts.protocol}//${opts.host ?? opts.hostname}`;
            return callback(
              new PinMismatchError(
                `the server at ${origin} presented a certificate with SHA-256 ${got === 'none' ? '(none)' : showFingerprint(got)}, but remote ${pin.remote} is pinned to ${showFingerprint(pin.fingerprint)}; refusing to connect (if the server's certificate was replaced on purpose, check it and run am remote add ${pin.remote} ${origin} --force)`,
              ),
              null,
            );
          }
          callback(null, socket!);
        })
    : base;
  const dispatcher = new Agent({ connect });
  const pinnedFetch = ((input: string | URL, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1])) as unknown as typeof fetch;
  return { fetch: pinnedFetch, close: () => dispatcher.close() };
}
