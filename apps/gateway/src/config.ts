import { commonSettings, duration, host, port, setting } from '@am/runtime';

export const gatewaySettings = {
  ...commonSettings,
  AM_GATEWAY_PORT: setting(port, 'REST gateway port (HTTP)', { default: '8080', aliases: ['AM_GatewayPort'] }),
  AM_GATEWAY_HOST: setting(host, 'address the REST gateway binds to', { default: '127.0.0.1' }),
  AM_READY_TIMEOUT: setting(duration, 'how long /readyz waits for each dependency', { default: '1s' }),
} as const;
