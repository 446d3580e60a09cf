import { bool, bootUniverse, commonSettings, duration, recordKeySettings, setting } from '@am/runtime';

export const policySettings = {
  ...commonSettings,
  ...recordKeySettings,
  AM_BOOT_UNIVERSE: setting(bootUniverse, 'universe booted when the metadata store is empty', { default: 'none' }),
  AM_CONSISTENCY_TIMEOUT: setting(duration, 'how long a read "at least revision R" waits for the projection', { default: '2s' }),
  AM_ALLOW_DEMO_IDENTITIES: setting(bool, 'accept a bare principal path as a credential (access-model §8.2; demos only, off unless set)', { default: 'false' }),
  AM_SSH_REQUIRE_NATIVE_LOGIN: setting(bool, 'ssh login also needs am://role/native-login to pass View+VouchFor on the principal (§8.6)', {
    default: 'false',
  }),
} as const;
