import { commonSettings, host, port, setting } from '@am/runtime';
import { z } from 'zod';

export const identitySettings = {
  ...commonSettings,
  AM_SSH_PORT: setting(port, 'ssh credential endpoint port', { default: '2222' }),
  AM_SSH_HOST: setting(host, 'address the ssh credential endpoint binds to', { default: '127.0.0.1' }),
  AM_SSH_HOST_KEY: setting(z.string().min(1, 'must name a file'), 'ssh host key file (OpenSSH format); generated if missing', {
    default: './host.key',
    aliases: ['AM_ServerKey'],
  }),
} as const;
