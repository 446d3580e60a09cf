import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { Gateway } from './client';
import { CliError } from './errors';
import { toJson } from './json';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
  /** Standard input as text (for `chperm -e -`); absent when there is none. */
  readStdin?: () => Promise<string>;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';
export type OutputFormat = 'json' | 'table';

export const NEED_USER = 'need user id. This can be supplied with AM_USER environment variable or with --user';

/** What every verb shares: the global options resolved against the environment, and the gateway. */
export class Context {
  private gw?: Gateway;
  private credential?: Promise<string | undefined>;

  constructor(
    readonly io: Io,
    private readonly program: Command,
  ) {}

  private get opts(): { user?: string; am_url?: string; verbose?: boolean; output?: string } {
    return this.program.opts();
  }

  get baseUrl(): string {
    return (this.opts.am_url || this.io.env.ACCESS_MANAGER_URL || DEFAULT_URL).replace(/\/+$/, '');
  }

  get output(): OutputFormat {
    return this.opts.output === 'table' ? 'table' : 'json';
  }

  /** The caller's credential from --user or AM_USER: a principal path, a credential, or @file. */
  userCredential(): Promise<string | undefined> {
    this.credential ??= (async () => {
      const raw = this.opts.user ?? this.io.env.AM_USER;
      if (raw === undefined || raw.trim() === '') return undefined;
      if (!raw.startsWith('@')) return raw.trim();
      const file = raw.slice(1).trim();
      try {
        // A credential captured with `ssh ... > file` ends with a newline: not part of it.
        return (await readFile(file, 'utf8')).trim();
      } catch (err) {
        throw new CliError(`error reading user credential from ${file}: ${(err as Error).message}`);
      }
    })();
    return this.credential;
  }

  /** The gateway client; with `needUser` (the default) a missing credential is an error. */
  async gateway(needUser = true): Promise<Gateway> {
    const credential = await this.userCredential();
    if (needUser && !credential) throw new CliError(NEED_USER);
    this.gw ??= new Gateway({
      baseUrl: this.baseUrl,
      credential,
      fetch: this.io.fetch,
      verbose: this.opts.verbose ? (line) => this.io.err(`${line}\n`) : undefined,
    });
    return this.gw;
  }

  print(line = ''): void {
    this.io.out(`${line}\n`);
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
