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
  const { private: pem } = utils.generateKeyPairSync('ed25519');
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
  return Buffer.from(pem);
}
