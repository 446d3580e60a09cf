import { createHash } from 'node:crypto';
import { Client } from 'ssh2';

export interface SshLogin {
  host: string;
  port: number;
  /** The principal to log in as (the plugin's own path, e.g. am://workload/yoyodyne/id-plugin). */
  principal: string;
  /** OpenSSH or PEM private key text (unencrypted, or with `passphrase`). */
  privateKey: string | Buffer;
  passphrase?: string;
  /**
   * The endpoint's host key fingerprint as `ssh-keygen -l` prints it (`SHA256:...`). When given,
   * any other host key is refused; without it the host key is not checked.
   */
  hostKeyFingerprint?: string;
  timeoutMs?: number;
}

export class SshLoginError extends Error {
  override name = 'SshLoginError';
  constructor(
    message: string,
    /** The endpoint could not be reached or did not answer in time (as opposed to refusing). */
    readonly unreachable = false,
  ) {
    super(message);
  }
}

/** `SHA256:<unpadded base64>` of an SSH public key blob, as OpenSSH shows it. */
export function sshFingerprint(hostKeyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(hostKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Logs in to the Access Manager's ssh credential endpoint and returns the credential it writes
 * (one line, then exit status 0). Refusals, a wrong host key, a non-zero exit or a timeout reject.
 */
export function fetchSshCredential(login: SshLogin): Promise<string> {
  const timeoutMs = login.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const client = new Client();
    let output = '';
    let errors = '';
    let exitCode: number | undefined;
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end();
      if (err) reject(err);
      else if (exitCode !== 0) reject(new SshLoginError(`ssh credential endpoint exited with status ${exitCode ?? 'unknown'}${errors ? `: ${errors.trim()}` : ''}`));
      else if (!output.trim()) reject(new SshLoginError('ssh credential endpoint sent no credential'));
      else resolve(output.trim());
    };
    const timer = setTimeout(() => finish(new SshLoginError(`ssh login timed out after ${timeoutMs} ms`, true)), timeoutMs);
    client.on('ready', () => {
      client.exec('credential', (err, stream) => {
        if (err) return finish(new SshLoginError(`ssh session refused: ${err.message}`));
        stream.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        stream.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
        stream.on('exit', (code: number | null) => (exitCode = code ?? undefined));
        stream.on('close', () => finish());
      });
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (err.level === 'client-authentication') return finish(new SshLoginError(`ssh login as ${login.principal} refused (publickey)`));
      finish(new SshLoginError(`ssh login failed: ${err.message}`, err.level === 'client-socket' || err.level === 'client-timeout'));
    });
    client.connect({
      host: login.host,
      port: login.port,
      username: login.principal,
      privateKey: login.privateKey,
      passphrase: login.passphrase,
      readyTimeout: timeoutMs,
      hostVerifier: login.hostKeyFingerprint ? (key: Buffer) => sshFingerprint(key) === login.hostKeyFingerprint : undefined,
    });
  });
}
