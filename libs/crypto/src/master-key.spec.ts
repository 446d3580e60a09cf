import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterKey, MasterKeyError } from './master-key';

describe('MasterKey', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'am-mk-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('seals and opens, and the sealed bytes do not contain the plaintext', () => {
    const key = MasterKey.generate();
    const secret = Buffer.from('-----BEGIN PRIVATE KEY----- very secret');
    const sealed = key.seal(secret, 'identity/signing-key/1');
    expect(sealed.includes(secret)).toBe(false);
    expect(key.open(sealed, 'identity/signing-key/1').equals(secret)).toBe(true);
  });

  it('refuses a value bound to another purpose, a tampered value and another key', () => {
    const key = MasterKey.generate();
    const sealed = key.seal(Buffer.from('x'), 'a');
    expect(() => key.open(sealed, 'b')).toThrow(MasterKeyError);
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => key.open(tampered, 'a')).toThrow(MasterKeyError);
    expect(() => MasterKey.generate().open(sealed, 'a')).toThrow(MasterKeyError);
    expect(() => key.open(Buffer.alloc(3), 'a')).toThrow('malformed');
  });

  it('creates a missing key file with mode 0600 and reads the same key back', async () => {
    const file = join(dir, 'keys', 'master.key');
    const created = await MasterKey.load(file, { create: true });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const again = await MasterKey.load(file);
    expect(again.open(created.seal(Buffer.from('k'), 'p'), 'p').toString()).toBe('k');
  });

  it('reports a missing or malformed key file clearly', async () => {
    await expect(MasterKey.load(join(dir, 'absent'))).rejects.toThrow(/cannot read master key file/);
    await writeFile(join(dir, 'short'), Buffer.from('abc').toString('base64'));
    await expect(MasterKey.load(join(dir, 'short'))).rejects.toThrow(/32 base64-encoded bytes/);
    expect((await readFile(join(dir, 'short'), 'utf8')).length).toBeGreaterThan(0);
  });
});
