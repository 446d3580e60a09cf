import { PLUGIN_USER_NAME } from '@am/plugin-sdk';
import { host, optionalString, port, setting, urlList } from '@am/runtime';
import { z } from 'zod';

export const pluginSettings = {
  PLUGIN_PORT: setting(port, 'HTTP port of the login endpoint', { default: '8082' }),
  PLUGIN_HOST: setting(host, 'address the login endpoint binds to', { default: '127.0.0.1' }),
  PLUGIN_USERS_FILE: setting(z.string().min(1), 'users file (name:scrypt-hash[:principal] per line; manage it with `users add|remove|list`)', {
    default: './users.txt',
  }),
  PLUGIN_PRINCIPAL_TEMPLATE: setting(
    z.string().regex(/^am:\/\/(user|workload)\/.*\{user\}/, 'must be an am://user/... or am://workload/... path containing {user}'),
    'principal vouched for when a user has none of its own; {user} is the lower-case user name',
    { default: 'am://user/yoyodyne/{user}' },
  ),
  PLUGIN_PRINCIPAL: setting(z.string().regex(/^am:\/\/(user|workload)\//, 'must be a principal path'), 'the plugin’s own principal (ssh login name)', {
    default: 'am://workload/yoyodyne/id-plugin',
  }),
  PLUGIN_SSH_KEY: setting(optionalString, 'private key file the plugin logs in with at the ssh credential endpoint'),
  PLUGIN_SSH_HOST_FINGERPRINT: setting(optionalString, 'expected host key fingerprint of the ssh endpoint (SHA256:...)'),
  PLUGIN_CREDENTIAL: setting(optionalString, 'a credential for the plugin instead of an ssh key (the text, or @file)'),
  AM_SSH_HOST: setting(host, 'host of the ssh credential endpoint', { default: '127.0.0.1' }),
  AM_SSH_PORT: setting(port, 'port of the ssh credential endpoint', { default: '2222' }),
  AM_NATS_URL: setting(urlList(['nats']), 'NATS server URLs, comma-separated', { default: 'nats://127.0.0.1:4222' }),
  AM_NATS_USER: setting(z.string().regex(PLUGIN_USER_NAME, "must be 1-64 letters, digits, '-' or '_'"), "this plugin's own NATS user (its replies arrive on _INBOX.plugin.<user>)", {
    default: 'plugin',
  }),
  AM_NATS_PASSWORD: setting(z.string({ error: 'must be set (the plugin user’s password; local stack: .am/keys/nats-passwords.json)' }).min(1), 'NATS password of the plugin user'),
} as const;
