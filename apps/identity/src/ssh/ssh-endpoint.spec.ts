import { loadConfig } from '@am/runtime';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identitySettings } from '../config';
import { startIdentity } from '../start';

describe('ssh host key', () => {
  it('refuses to start with a host key file that is not a key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'am-hostkey-'));
    try {
      const bad = join(dir, 'not-a-key');
      await writeFile(bad, 'hello');
      const cfg = loadConfig(identitySettings, { AM_SSH_HOST_KEY: bad, AM_LOG_LEVEL: 'silent' });
      await expect(startIdentity(cfg)).rejects.toThrow(/is not a usable private key/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
