import { bootUniverse, commonSettings, ConfigError, loadConfig, port, setting, type ConfigOf } from '@am/runtime';
import { PLUGIN_USER_NAME, SERVICE_PERMISSIONS } from '@am/testing';
import { z } from 'zod';

const pluginUser = z
  .string()
  .regex(PLUGIN_USER_NAME, "must be names of 1-64 letters, digits, '-' or '_'")
  .refine((u) => !Object.hasOwn(SERVICE_PERMISSIONS, u), "must not use a service's name");

/** What the local stack reads from the environment (the services' own settings are derived from it). */
export const stackSettings = {
  AM_DATA_DIR: setting(z.string().min(1, 'must name a directory'), 'where etcd data, NATS data, keys, logs and pid files live', {
    default: '.am',
  }),
  AM_BOOT_UNIVERSE: setting(bootUniverse, 'universe booted into an empty store', { default: 'new_sample' }),
  AM_GATEWAY_PORT: setting(port, 'REST gateway port', { default: '8080', aliases: ['AM_GatewayPort'] }),
  AM_GATEWAY_TLS_PORT: setting(port, 'REST gateway HTTPS port (mTLS, server certificate from the pki)', { default: '8443' }),
  AM_SSH_PORT: setting(port, 'ssh credential endpoint port', { default: '2222' }),
  AM_METRICS_PORT: setting(port, 'metrics port of the gateway; policy, identity and pki use the next three', {
    default: '2114',
    aliases: ['AM_MetricServerPort'],
  }),
  AM_NATS_PLUGIN_USERS: setting(
    z
      .string()
      .transform((v) => [...new Set(v.split(',').map((u) => u.trim()).filter(Boolean))])
      .pipe(z.array(pluginUser).min(1, 'must name at least one plugin user')),
    'NATS users for identity plugins, comma-separated: one per plugin, each hearing only its own replies (inbox _INBOX.plugin.<user>)',
    { default: 'plugin' },
  ),
  AM_ETCD_URLS: commonSettings.AM_ETCD_URLS,
  AM_NATS_URL: commonSettings.AM_NATS_URL,
  AM_LOG_LEVEL: commonSettings.AM_LOG_LEVEL,
} as const;

export type StackConfig = ConfigOf<typeof stackSettings>;

export function loadStackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const cfg = loadConfig(stackSettings, env);
  for (const [name, urls] of [['AM_ETCD_URLS', cfg.AM_ETCD_URLS], ['AM_NATS_URL', cfg.AM_NATS_URL]] as const) {
    if (urls.length !== 1 || !isLoopback(new URL(urls[0]).hostname)) {
      throw new ConfigError(name, `invalid configuration: ${name} must be one loopback URL for the local stack (it starts that server itself), got ${urls.join(',')}`);
    }
  }
  return cfg;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}
