import { MasterKey } from '@am/crypto';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SERVICES = ['gateway', 'policy', 'identity', 'pki'] as const;
export type StackService = (typeof SERVICES)[number];

export interface StackSecrets {
  /** By NATS user: one per service and one per identity plugin (AM_NATS_PLUGIN_USERS). */
  natsPasswords: Record<string, string>;
  masterKeyFile: string;
  sshHostKeyFile: string;
}

/**
 * Secrets of the local stack, generated on first start and kept in <data dir>/keys (mode 0600) so
 * that a restart keeps the same identities: per-service NATS passwords, the master key that
 * encrypts private keys at rest, and the location of the ssh host key.
 */
export async function loadOrCreateSecrets(dataDir: string, pluginUsers: readonly string[]): Promise<StackSecrets> {
  const natsUsers = [...SERVICES, ...pluginUsers];
  const dir = join(dataDir, 'keys');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const passwordsFile = join(dir, 'nats-passwords.json');
  let stored: Record<string, string | undefined> = {};
  try {
    stored = JSON.parse(await readFile(passwordsFile, 'utf8'));
  } catch {
    // first start: generate them all below
  }
  // Keep the passwords already given out (also of plugins no longer configured); generate any missing.
  const natsPasswords: Record<string, string> = {};
  for (const u of natsUsers) natsPasswords[u] = stored[u] ?? randomBytes(24).toString('base64url');
  if (natsUsers.some((u) => stored[u] === undefined)) {
    await writeFile(passwordsFile, JSON.stringify({ ...stored, ...natsPasswords }, null, 2), { mode: 0o600 });
  }
  const masterKeyFile = join(dir, 'master.key');
  await MasterKey.load(masterKeyFile, { create: true });
  return { natsPasswords, masterKeyFile, sshHostKeyFile: join(dir, 'ssh_host_ed25519') };
}
