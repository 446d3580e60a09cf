import { bootUniverse, commonSettings, duration, setting } from '@am/runtime';

export const policySettings = {
  ...commonSettings,
  AM_BOOT_UNIVERSE: setting(bootUniverse, 'universe booted when the metadata store is empty', { default: 'none' }),
  AM_CONSISTENCY_TIMEOUT: setting(duration, 'how long a read "at least revision R" waits for the projection', { default: '2s' }),
} as const;
