import { commonSettings, duration, host, optionalString, port, setting } from '@am/runtime';
import { z } from 'zod';

/** A duration setting in whole seconds (the runtime's `duration` yields milliseconds). */
const seconds = (min: number) =>
  duration.pipe(z.number().min(min * 1000, `must be at least ${min}s`).transform((ms) => Math.floor(ms / 1000)));

const count = z.string({ error: 'must be set' }).regex(/^\d{1,6}$/, 'must be a whole number').transform(Number);

export const identitySettings = {
  ...commonSettings,
  AM_SSH_PORT: setting(port, 'ssh credential endpoint port', { default: '2222' }),
  AM_SSH_HOST: setting(host, 'address the ssh credential endpoint binds to', { default: '127.0.0.1' }),
  AM_SSH_HOST_KEY: setting(z.string().min(1, 'must name a file'), 'ssh host key file (OpenSSH format); generated if missing', {
    default: './host.key',
    aliases: ['AM_ServerKey'],
  }),
  AM_SSH_MAX_FAILURES: setting(count, 'failed ssh logins allowed per source address within AM_SSH_FAILURE_WINDOW before it is refused outright (each key a client offers that does not match counts; 0 = no limit)', {
    default: '20',
  }),
  AM_SSH_FAILURE_WINDOW: setting(seconds(1), 'window of the ssh failure rate limit', { default: '1m' }),
  AM_MASTER_KEY_FILE: setting(
    optionalString,
    'master key file (32 bytes base64) sealing the signing keys in etcd; generated if missing (default: master.key next to the ssh host key)',
  ),
  AM_SIGNING_KEY_ROTATION: setting(seconds(60), 'lifetime of a signing key: a new one is created when the current one can no longer outlive a credential', {
    default: '6h',
  }),
  AM_SSH_CREDENTIAL_TTL: setting(seconds(1), 'lifetime of credentials issued by the ssh endpoint', { default: '1h' }),
  AM_VOUCH_CREDENTIAL_TTL: setting(seconds(1), 'lifetime of credentials issued to identity plugins (vouch)', { default: '30m' }),
  AM_DELEGATION_CREDENTIAL_TTL: setting(seconds(1), 'lifetime of delegation credentials', { default: '30m' }),
  AM_IDENTITY_EVENT_RETENTION: setting(seconds(60), 'how long credential-issued events are kept in etcd', { default: '168h' }),
} as const;
