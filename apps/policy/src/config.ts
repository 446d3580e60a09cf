import { bool, bootUniverse, commonSettings, duration, positiveInt, recordKeySettings, retention, setting } from '@am/runtime';

export const policySettings = {
  ...commonSettings,
  ...recordKeySettings,
  AM_BOOT_UNIVERSE: setting(bootUniverse, 'universe booted when the metadata store is empty', { default: 'none' }),
  AM_CONSISTENCY_TIMEOUT: setting(duration, 'how long a read "at least revision R" waits for the projection', { default: '2s' }),
  AM_ALLOW_DEMO_IDENTITIES: setting(bool, 'accept a bare principal path as a credential (access-model §8.2; demos only, off unless set)', { default: 'false' }),
  AM_SSH_REQUIRE_NATIVE_LOGIN: setting(bool, 'ssh login also needs am://role/native-login to pass View+VouchFor on the principal (§8.6)', {
    default: 'false',
  }),
  AM_SNAPSHOT_EVERY: setting(positiveInt, 'take a snapshot of the tree into the history after this many events (time travel and starts replay from the nearest)', { default: '10000' }),
  AM_HISTORY_RETENTION: setting(retention, 'how long events are kept: all, or a duration (older ones are dropped up to the newest snapshot before it)', { default: 'all' }),
  AM_HISTORY_INTERVAL: setting(duration, 'how often the history is looked after (snapshot due? events past retention?)', { default: '30s' }),
} as const;
