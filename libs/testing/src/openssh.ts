import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessResult } from './process';

export type SshKeyType = 'ed25519' | 'rsa' | 'ecdsa';

/** A fresh key pair made by the real `ssh-keygen` (no passphrase): its private key file and public key line. */
export function sshKeygen(dir: string, type: SshKeyType, name: string): { file: string; pub: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', `${name}@test`, '-f', file]);
  return { file, pub: readFileSync(`${file}.pub`, 'utf8').trim() };
}

/**
 * Asks the ssh credential endpoint for a credential with the real OpenSSH client, logging in as
 * `principal` with `keyFile` (without one, the client offers no key at all). Asynchronous: the
 * endpoint often runs in this very process. `status` is ssh's exit status; 255 means refused.
 */
export function sshCredential(port: number, principal: string, keyFile?: string): Promise<ProcessResult> {
  const args = ['-p', String(port), '-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR'];
  args.push(...(keyFile ? ['-i', keyFile] : ['-o', 'IdentityFile=/dev/null']));
  args.push('-l', principal, '127.0.0.1');
  return new Promise((resolve) => {
    execFile('ssh', args, { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}
