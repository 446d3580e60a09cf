import { MasterKey } from '@am/crypto';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SERVICES = ['gateway', 'policy', 'identity', 'pki'] as const;
export type StackService = (typeof SERVICES)[number];

export interface StackSecrets {
  natsPasswords: Record<StackService, string>;
  masterKeyFile: string;
  sshHostKeyFile: string;
}

/**
 * Secrets of the local stack, generated on first start and kept in <data dir>/keys (mode 0600) so
 * that a restart keeps the same identities: per-service NATS passwords, the master key that
 * encrypts private keys at rest, and the location of the ssh host key.
 */
export async function loadOrCreateSecrets(dataDir: string): Promise<StackSecrets> {
  const dir = join(dataDir, 'keys');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const passwordsFile = join(dir, 'nats-passwords.json');
  let natsPasswords: Record<StackService, string>;
  try {
    natsPasswords = JSON.parse(await readFile(passwordsFile, 'utf8'));
  } catch {
    natsPasswords = Object.fromEntries(SERVICES.map((s) => [s, randomBytes(24).toString('base64url')])) as Record<StackService, string>;
    await writeFile(passwordsFile, JSON.stringify(natsPasswords, null, 2), { mode: 0o600 });
  }
  const masterKeyFile = join(dir, 'master.key');
  await MasterKey.load(masterKeyFile, { create: true });
  return { natsPasswords, masterKeyFile, sshHostKeyFile: join(dir, 'ssh_host_ed25519') };
}
