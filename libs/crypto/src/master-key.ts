import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The master key protects private keys at rest (JWT signing keys, CA keys): 32 random bytes,
 * stored base64 in a file only the service user can read. Values are sealed with AES-256-GCM;
 * the associated data binds a sealed value to its purpose (e.g. its etcd key), so a ciphertext
 * copied to another key does not open.
 */
export const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 1;

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

export class MasterKey {
  private constructor(private readonly key: Buffer) {}

  static fromBytes(key: Buffer): MasterKey {
    if (key.length !== MASTER_KEY_BYTES) throw new MasterKeyError(`master key must be ${MASTER_KEY_BYTES} bytes, got ${key.length}`);
    return new MasterKey(Buffer.from(key));
  }

  static generate(): MasterKey {
    return new MasterKey(randomBytes(MASTER_KEY_BYTES));
  }

  /** Reads the key file (base64); with `create`, a missing file is generated with mode 0600. */
  static async load(file: string, options: { create?: boolean } = {}): Promise<MasterKey> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !options.create) {
        throw new MasterKeyError(`cannot read master key file ${file}: ${(err as Error).message}`);
      }
      const fresh = MasterKey.generate();
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await writeFile(file, `${fresh.key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      await chmod(file, 0o600);
      return fresh;
    }
    const bytes = Buffer.from(text.trim(), 'base64');
    if (bytes.length !== MASTER_KEY_BYTES) throw new MasterKeyError(`master key file ${file} must hold ${MASTER_KEY_BYTES} base64-encoded bytes`);
    return new MasterKey(bytes);
  }

  /**
   * A key for another purpose, derived with HKDF-SHA256 (empty salt, `info` naming the purpose):
   * the master key itself is never used for two jobs, and a derived key reveals nothing about it.
   */
  derive(info: string, length = 32): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), info, length));
  }

  /** version(1) ‖ iv(12) ‖ tag(16) ‖ ciphertext */
  seal(plaintext: Buffer, associatedData: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, associatedData: string): Buffer {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new MasterKeyError('sealed value is malformed');
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new MasterKeyError('sealed value does not open with this master key (wrong key, tampered, or bound to another purpose)');
    }
  }
}
