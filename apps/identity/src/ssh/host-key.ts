import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { utils } from 'ssh2';

/**
 * Loads the ssh host key, or generates an ed25519 key and persists it (mode 0600) when the file
 * does not exist, so clients see the same host key after a restart.
 */
export async function loadOrCreateHostKey(file: string): Promise<Buffer> {
  try {
    const key = await readFile(file);
    const parsed = utils.parseKey(key);
    if (parsed instanceof Error) throw new Error(`ssh host key ${file} is not a usable private key: ${parsed.message}`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const pem = generateHostKey();
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
  return Buffer.from(pem);
}

/** Draws after which ssh2's key generation is taken to be broken rather than unlucky. */
const MAX_DRAWS = 16;

/**
 * A new ed25519 host key in OpenSSH format. ssh2 (1.x) drops the leading zero byte of a public key
 * that starts with one (about 1 key in 256) and writes a key that no parser, its own included,
 * accepts; the service would then fail to start, and keep failing on the persisted key. Such a key
 * is thrown away and another one drawn.
 */
export function generateHostKey(): string {
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const { private: pem } = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(pem) instanceof Error)) return pem;
  }
  throw new Error(`ssh2 generated ${MAX_DRAWS} unusable ed25519 host keys in a row`);
}
