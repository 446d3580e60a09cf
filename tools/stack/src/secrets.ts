import { MasterKey } from '@am/crypto';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SERVICES = ['gateway', 'policy', 'identity', 'pki'] as const;
export type StackService = (typeof SERVICES)[number];
/** NATS users: one per service, and `plugin` for identity plugins (it may only vouch). */
const NATS_USERS = [...SERVICES, 'plugin'] as const;
export type StackNatsUser = (typeof NATS_USERS)[number];

export interface StackSecrets {
  natsPasswords: Record<StackNatsUser, string>;
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
  let stored: Partial<Record<StackNatsUser, string>> = {};
  try {
    stored = JSON.parse(await readFile(passwordsFile, 'utf8'));
  } catch {
    // first start: generate them all below
  }
  // Keep the passwords already given out; generate any missing (e.g. a data dir from before the plugin user).
  const natsPasswords = Object.fromEntries(NATS_USERS.map((u) => [u, stored[u] ?? randomBytes(24).toString('base64url')])) as Record<StackNatsUser, string>;
  if (NATS_USERS.some((u) => stored[u] === undefined)) await writeFile(passwordsFile, JSON.stringify(natsPasswords, null, 2), { mode: 0o600 });
  const masterKeyFile = join(dir, 'master.key');
  await MasterKey.load(masterKeyFile, { create: true });
  return { natsPasswords, masterKeyFile, sshHostKeyFile: join(dir, 'ssh_host_ed25519') };
}
