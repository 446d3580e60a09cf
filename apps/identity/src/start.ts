import { LOGGER, loadConfig, startBackend, type ConfigOf } from '@am/runtime';
import type { Logger } from 'pino';
import { identitySettings } from './config';

export { identitySettings };
import { loadOrCreateHostKey } from './ssh/host-key';
import { startSshEndpoint } from './ssh/ssh-endpoint';

export type IdentityConfig = ConfigOf<typeof identitySettings>;

/** The identity service: ssh credential endpoint now; signing keys, vouching and delegation later. */
export async function startIdentity(config: IdentityConfig = loadConfig(identitySettings)) {
  const hostKey = await loadOrCreateHostKey(config.AM_SSH_HOST_KEY);
  return startBackend({
    service: 'identity',
    config,
    afterStart: ({ get }) => startSshEndpoint({ hostKey, port: config.AM_SSH_PORT, host: config.AM_SSH_HOST, log: get<Logger>(LOGGER) }),
  });
}
