import { runProcess, type ProcessResult } from '@am/testing';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslResult extends ProcessResult {
  output: string;
}

/**
 * The real openssl CLI as the peer, run as an async child process (the service under test runs in
 * this process, so a synchronous spawn would freeze it), in a temporary directory.
 */
export class Openssl {
  private constructor(readonly dir: string) {}

  static async create(): Promise<Openssl> {
    return new Openssl(await mkdtemp(join(tmpdir(), 'am-pki-test-')));
  }

  async run(...args: string[]): Promise<OpensslResult> {
    const r = await runProcess('openssl', args, this.dir);
    return { ...r, output: r.stdout + r.stderr };
  }

  /** Like run, but a non-zero status is an error carrying openssl's output. */
  async ok(...args: string[]): Promise<OpensslResult> {
    const r = await this.run(...args);
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.status}): ${r.output}`);
    return r;
  }

  async write(name: string, content: string | Buffer): Promise<string> {
    await writeFile(join(this.dir, name), content);
    return join(this.dir, name);
  }

  async read(name: string): Promise<Buffer> {
    return readFile(join(this.dir, name));
  }

  /** `openssl req` with a fresh key: keyArgs e.g. ['-newkey', 'rsa:2048']. */
  async csr(name: string, keyArgs: string[], extra: string[] = []): Promise<string> {
    await this.ok('req', '-new', ...keyArgs, '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`, ...extra);
    return (await this.read(`${name}.csr`)).toString('utf8');
  }

  cleanup(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}

export const EC_P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
export const RSA_2048 = ['-newkey', 'rsa:2048'];
