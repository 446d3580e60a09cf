import { commonSettings, duration, host, port, recordKeySettings, setting } from '@am/runtime';
import { tlsSettings } from './tls/settings';
import { z } from 'zod';

export const gatewaySettings = {
  ...commonSettings,
  ...recordKeySettings,
  AM_GATEWAY_PORT: setting(port, 'REST gateway port (HTTP)', { default: '8080', aliases: ['AM_GatewayPort'] }),
  AM_GATEWAY_HOST: setting(host, 'address the REST gateway binds to', { default: '127.0.0.1' }),
  AM_READY_TIMEOUT: setting(duration, 'how long /readyz waits for each dependency', { default: '1s' }),
  AM_REQUEST_TIMEOUT: setting(duration, 'how long the gateway waits for a service to answer a request', { default: '5s' }),
  AM_BOOTSTRAP_TOKEN: setting(z.string().min(16, 'must be at least 16 characters').optional(), 'booting an empty store over REST needs Authorization: Bearer <token>; unset = boot over REST is refused (boot at start with AM_BOOT_UNIVERSE)'),
  AM_CORS_ORIGINS: setting(
    z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
    'origins allowed by CORS, comma-separated (* = any); empty = no CORS',
    { default: '' },
  ),
  ...tlsSettings,
} as const;
