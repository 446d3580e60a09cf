/** Test support (not exported): a temp directory where the real openssl CLI acts as the peer. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for assertions that do not care which stream a message went to. */
  output: string;
}

export class OpensslDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'am-x509-'));

  write(name: string, content: string | Buffer): string {
    const path = join(this.dir, name);
    writeFileSync(path, content);
    return path;
  }

  read(name: string): Buffer {
    return readFileSync(join(this.dir, name));
  }

  openssl(...args: string[]): OpensslResult {
    const r = spawnSync('openssl', args, { cwd: this.dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: r.stdout + r.stderr };
  }

  /** A CSR made by `openssl req` with a fresh key; `keyArgs` e.g. ['-newkey', 'rsa:2048']. */
  csr(name: string, keyArgs: string[], extra: string[] = []): string {
    const r = this.openssl('req', '-new', ...keyArgs, '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`, ...extra);
    if (r.status !== 0) throw new Error(`openssl req failed: ${r.output}`);
    return this.read(`${name}.csr`).toString('utf8');
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const EC_P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
export const RSA_2048 = ['-newkey', 'rsa:2048'];
