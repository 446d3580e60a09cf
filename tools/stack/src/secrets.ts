import { MasterKey, RecordSigner } from '@am/crypto';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SERVICES = ['gateway', 'policy', 'identity', 'pki'] as const;
export type StackService = (typeof SERVICES)[number];
/** In <data dir>/keys; `am boot` looks for it there (apps/cli). */
const BOOTSTRAP_TOKEN_FILE = 'bootstrap-token';

export interface StackSecrets {
  /** By NATS user: one per service and one per identity plugin (AM_NATS_PLUGIN_USERS). */
  natsPasswords: ReadonlyMap<string, string>;
  masterKeyFile: string;
  /** The public record keys of identity and pki (both use the one master key here), for the verifiers. */
  recordKeys: { AM_IDENTITY_RECORD_KEY: string; AM_PKI_RECORD_KEY: string };
  sshHostKeyFile: string;
  /** Opens boot over REST to whoever can read the file (`am boot` on this host reads it). */
  bootstrapToken: string;
  bootstrapTokenFile: string;
}

/**
 * Secrets of the local stack, generated on first start and kept in <data dir>/keys (mode 0600) so
 * that a restart keeps the same identities: per-service NATS passwords, the master key that
 * encrypts private keys at rest, the bootstrap token, and the location of the ssh host key.
 */
export async function loadOrCreateSecrets(dataDir: string, pluginUsers: readonly string[]): Promise<StackSecrets> {
  const natsUsers = [...SERVICES, ...pluginUsers];
  const dir = join(dataDir, 'keys');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const passwordsFile = join(dir, 'nats-passwords.json');
  // A Map, not an object: a plugin may be called "constructor" or "__proto__".
  let stored = new Map<string, string>();
  try {
    const parsed: unknown = JSON.parse(await readFile(passwordsFile, 'utf8'));
    if (parsed && typeof parsed === 'object') stored = new Map(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    // first start: generate them all below
  }
  // Keep the passwords already given out (also of plugins no longer configured); generate any missing.
  const natsPasswords = new Map(natsUsers.map((u) => [u, stored.get(u) ?? randomBytes(24).toString('base64url')]));
  if (natsUsers.some((u) => !stored.has(u))) {
    await writeFile(passwordsFile, JSON.stringify(Object.fromEntries([...stored, ...natsPasswords]), null, 2), { mode: 0o600 });
  }
  const masterKeyFile = join(dir, 'master.key');
  const masterKey = await MasterKey.load(masterKeyFile, { create: true });
  const recordKeys = {
    AM_IDENTITY_RECORD_KEY: RecordSigner.fromMasterKey('identity', masterKey).toString(),
    AM_PKI_RECORD_KEY: RecordSigner.fromMasterKey('pki', masterKey).toString(),
  };
  const bootstrapTokenFile = join(dir, BOOTSTRAP_TOKEN_FILE);
  let bootstrapToken = (await readFile(bootstrapTokenFile, 'utf8').catch(() => '')).trim();
  if (bootstrapToken.length < 16) {
    bootstrapToken = randomBytes(24).toString('base64url');
    await writeFile(bootstrapTokenFile, `${bootstrapToken}\n`, { mode: 0o600 });
  }
  return { natsPasswords, masterKeyFile, recordKeys, sshHostKeyFile: join(dir, 'ssh_host_ed25519'), bootstrapToken, bootstrapTokenFile };
}
