import { loadConfig } from '@am/runtime';
import { TestInfra } from '@am/testing';
import { execFile, execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { identitySettings } from '../config';
import { startIdentity } from '../start';

/** The host key fingerprint as the real OpenSSH tools see it. */
function fingerprint(file: string): string {
  return execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' }).split(' ')[1];
}

function run(cmd: string, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 20_000 }, (err, _stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr });
    });
  });
}

describe('ssh credential endpoint (real OpenSSH client)', () => {
  let infra: TestInfra;
  beforeAll(async () => {
    infra = await TestInfra.start();
  });
  afterAll(() => infra.stop());

  it('generates a host key once, keeps it across restarts, and refuses logins it cannot vouch for', async () => {
    const keyFile = join(infra.dir, 'host-key', 'ssh_host_ed25519');
    const cfg = loadConfig(identitySettings, infra.env('identity', { AM_SSH_HOST_KEY: keyFile }));

    const first = await startIdentity(cfg);
    const original = await readFile(keyFile, 'utf8');
    const before = fingerprint(keyFile);
    await first.close();

    const second = infra.track(await startIdentity(cfg));
    expect(await readFile(keyFile, 'utf8')).toBe(original);
    expect(fingerprint(keyFile)).toBe(before);

    const clientKey = join(infra.dir, 'client_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
    const knownHosts = join(infra.dir, 'known_hosts');
    // Asynchronously: the server runs in this very process.
    const r = await run(
      'ssh',
      [
        '-p', String(second.sshPort),
        '-i', clientKey,
        '-o', 'BatchMode=yes',
        '-o', 'IdentitiesOnly=yes',
        '-o', 'StrictHostKeyChecking=accept-new',
        '-o', `UserKnownHostsFile=${knownHosts}`,
        '-l', 'am://user/the-operator',
        '127.0.0.1',
      ],
    );
    expect(r.status).toBe(255);
    expect(r.stderr).toContain('Permission denied (publickey)');
    // The client recorded exactly the persisted host key.
    const recorded = execFileSync('ssh-keygen', ['-l', '-f', knownHosts], { encoding: 'utf8' }).split(' ')[1];
    expect(recorded).toBe(before);
  });

  it('refuses to start with a host key file that is not a key', async () => {
    const bad = join(infra.dir, 'not-a-key');
    await import('node:fs/promises').then((fs) => fs.writeFile(bad, 'hello'));
    const cfg = loadConfig(identitySettings, infra.env('identity', { AM_SSH_HOST_KEY: bad }));
    await expect(startIdentity(cfg)).rejects.toThrow(/is not a usable private key/);
  });
});
