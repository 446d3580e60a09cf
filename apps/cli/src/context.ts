import type { Command } from 'commander';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Gateway } from './client';
import { CliError } from './errors';
import { toJson } from './json';
import { RemoteStore, tlsFetch, type Remote } from './remotes';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
  /** Standard input as text (for `chperm -e -`); absent when there is none. */
  readStdin?: () => Promise<string>;
  /** Binary output on standard output (`am crl --der`); absent when only text can be written. */
  outBytes?: (data: Uint8Array) => void;
  /** Output on standard output as it arrives, at the pace stdout takes it (`am export`); absent: written as text. */
  outStream?: (chunks: AsyncIterable<Uint8Array>) => Promise<void>;
  /** Asks the person at the terminal and returns the answer; absent when not interactive. */
  prompt?: (question: string) => Promise<string>;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';
export type OutputFormat = 'json' | 'table';

export const NEED_USER = 'need user id. This can be supplied with AM_USER environment variable or with --user';

/** The global options (given before or after the verb). */
export interface GlobalOptions {
  user?: string;
  am_url?: string;
  verbose?: boolean;
  output?: string;
  remote?: string;
  cert?: string;
  key?: string;
  cacert?: string;
}

/** Where requests go and how: the gateway URL and a fetch that knows the TLS settings. */
export interface Target {
  baseUrl: string;
  fetch: typeof fetch;
  /** The remote it came from, if any. */
  remote?: string;
  /** A client certificate is presented (it is the caller; no credential needed). */
  clientCertificate: boolean;
}

/** What every verb shares: the global options resolved against the environment, and the gateway. */
export class Context {
  private gw?: Gateway;
  private credential?: Promise<string | undefined>;
  private resolved?: Promise<Target>;
  private readonly closers: Array<() => Promise<void>> = [];

  constructor(
    readonly io: Io,
    private readonly globals: () => GlobalOptions,
  ) {}

  private get opts(): GlobalOptions {
    return this.globals();
  }

  get verbose(): boolean {
    return !!this.opts.verbose;
  }

  get output(): OutputFormat {
    return this.opts.output === 'table' ? 'table' : 'json';
  }

  /** The remotes file of this environment. */
  remotes(): RemoteStore {
    return new RemoteStore(this.io.env);
  }

  /**
   * The gateway to talk to: `--remote NAME` or `--am_url URL`, else $AM_REMOTE, else
   * $ACCESS_MANAGER_URL, else the default remote, else http://127.0.0.1:8080. A remote's certificate is pinned; the
   * client certificate is `--cert/--key`, else the one stored with the remote.
   */
  target(): Promise<Target> {
    this.resolved ??= this.resolveTarget();
    return this.resolved;
  }

  private async resolveTarget(): Promise<Target> {
    const o = this.opts;
    if (o.remote && o.am_url) throw new CliError('give either --remote or --am_url, not both');
    // The command line first, then the environment (a remote before a URL), then the default remote.
    let remoteName = o.remote || undefined;
    let url = o.am_url || undefined;
    if (!remoteName && !url) {
      remoteName = this.io.env.AM_REMOTE || undefined;
      if (!remoteName) url = this.io.env.ACCESS_MANAGER_URL || undefined;
    }
    let remote: Remote | undefined;
    const store = this.remotes();
    if (!remoteName && !url) {
      const config = await store.load();
      if (config.default) remoteName = config.default;
    }
    if (remoteName) remote = await store.get(remoteName);
    const baseUrl = (remote?.url ?? url ?? DEFAULT_URL).replace(/\/+$/, '');

    if ((o.cert === undefined) !== (o.key === undefined)) throw new CliError('give the client certificate with both --cert FILE and --key FILE');
    const certFile = o.cert ?? remote?.cert;
    const keyFile = o.key ?? remote?.key;
    const https = baseUrl.startsWith('https:');
    if (certFile && !https) throw new CliError(`a client certificate needs an https:// gateway (the gateway is ${baseUrl}; its HTTPS port is 8443 by default)`);
    if (o.cacert && !https) throw new CliError(`--cacert needs an https:// gateway (the gateway is ${baseUrl})`);
    if (!remote && !certFile && !o.cacert) return { baseUrl, fetch: this.io.fetch, clientCertificate: false };

    const cert = certFile ? await readPem(certFile, 'client certificate') : undefined;
    const key = keyFile ? await readPem(keyFile, 'client key') : undefined;
    if (cert && key) checkKeyPair(cert, certFile!, key, keyFile!);
    const ca = o.cacert ? await readPem(o.cacert, 'CA certificates') : undefined;
    let tls: ReturnType<typeof tlsFetch>;
    try {
      tls = tlsFetch({ pin: remote ? { fingerprint: remote.fingerprint, remote: remoteName! } : undefined, ca, cert, key });
    } catch (err) {
      // Never echo the key: only what kind of problem it is.
      const e = err as NodeJS.ErrnoException;
      throw new CliError(`cannot use the client certificate and key (${certFile}, ${keyFile}): ${e.code ?? 'not a matching PEM certificate and key'}`);
    }
    this.closers.push(tls.close);
    return { baseUrl, fetch: tls.fetch, remote: remoteName, clientCertificate: !!cert };
  }

  /** The caller's credential from --user or AM_USER: a principal path, a credential, or @file. */
  userCredential(): Promise<string | undefined> {
    this.credential ??= (async () => {
      const raw = this.opts.user ?? this.io.env.AM_USER;
      if (raw === undefined || raw.trim() === '') return undefined;
      return credentialArgument(raw, 'user credential');
    })();
    return this.credential;
  }

  /**
   * The gateway client; with `needUser` (the default) a missing credential is an error, unless a
   * client certificate stands for the caller.
   */
  async gateway(needUser = true): Promise<Gateway> {
    const target = await this.target();
    const credential = await this.userCredential();
    if (needUser && !credential && !target.clientCertificate) throw new CliError(NEED_USER);
    this.gw ??= new Gateway({
      baseUrl: target.baseUrl,
      credential,
      fetch: target.fetch,
      verbose: this.opts.verbose ? (line) => this.io.err(`${line}\n`) : undefined,
    });
    return this.gw;
  }

  /** Ends open connections (a pinned or mTLS transport keeps them alive). */
  async close(): Promise<void> {
    await Promise.all(this.closers.splice(0).map((c) => c().catch(() => undefined)));
  }

  print(line = ''): void {
    this.io.out(`${line}\n`);
  }

  /** A streamed answer on standard output, as it arrives, ending with a newline. */
  async printStream(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    let last = 10;
    async function* noting() {
      for await (const chunk of chunks) {
        if (chunk.length > 0) last = chunk[chunk.length - 1];
        yield chunk;
      }
    }
    if (this.io.outStream) await this.io.outStream(noting());
    else {
      const decoder = new TextDecoder();
      for await (const chunk of noting()) this.io.out(decoder.decode(chunk, { stream: true }));
      this.io.out(decoder.decode());
    }
    if (last !== 10) this.io.out('\n');
  }

  json(value: unknown, indent = 2): void {
    this.print(toJson(value, indent));
  }

  /** Rows as aligned columns (the last column is not padded). */
  table(rows: string[][], indent = ''): void {
    const widths: number[] = [];
    for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
    for (const row of rows) this.print(indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
  }
}

/** Adds the `Examples:` section every verb's --help ends with. */
export function examples(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
}

/** A PEM file's text (the content never appears in an error). */
export async function readPem(file: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!text.includes('-----BEGIN ')) throw new CliError(`${file} is not PEM (the ${what} file must hold -----BEGIN ...----- blocks)`);
  return text;
}

/** The client certificate must parse and its key must belong to it (said plainly, never showing the key). */
function checkKeyPair(cert: string, certFile: string, key: string, keyFile: string): void {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new CliError(`${certFile} does not hold a readable certificate`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new CliError(`${keyFile} does not hold a readable private key (an encrypted key must be decrypted first)`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new CliError(`the key in ${keyFile} does not belong to the certificate in ${certFile}`);
}

/** A credential as given on the command line: the value itself, or `@file` to read it from a file. */
export async function credentialArgument(raw: string, what: string): Promise<string> {
  if (!raw.startsWith('@')) return raw.trim();
  const file = raw.slice(1).trim();
  try {
    // A credential captured with `ssh ... > file` ends with a newline: not part of it.
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    throw new CliError(`error reading ${what} from ${file}: ${(err as Error).message}`);
  }
}
