import { loadConfig, startBackend, type ConfigOf } from '@am/runtime';
import { identitySettings } from './config';

export { identitySettings };
import { loadOrCreateHostKey } from './ssh/host-key';
import { startSshEndpoint } from './ssh/ssh-endpoint';

export type IdentityConfig = ConfigOf<typeof identitySettings>;

/** The identity service: ssh credential endpoint now; signing keys, vouching and delegation later. */
export async function startIdentity(config: IdentityConfig = loadConfig(identitySettings)) {
  const hostKey = await loadOrCreateHostKey(config.AM_SSH_HOST_KEY);
  let sshPort = 0;
  const backend = await startBackend({
    service: 'identity',
    config,
    afterStart: async ({ log }) => {
      const ssh = await startSshEndpoint({ hostKey, port: config.AM_SSH_PORT, host: config.AM_SSH_HOST, log });
      sshPort = ssh.port;
      return ssh;
    },
  });
  return { ...backend, sshPort };
}
