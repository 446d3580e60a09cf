import { commonSettings, duration, setting } from '@am/runtime';
import { existsSync } from 'node:fs';
import { z } from 'zod';

export const policySettings = {
  ...commonSettings,
  AM_BOOT_UNIVERSE: setting(
    z.string().refine((v) => ['new_sample', 'bootstrap', 'none'].includes(v) || existsSync(v), 'must be new_sample, bootstrap, none or an existing universe file'),
    'universe booted when the metadata store is empty',
    { default: 'none' },
  ),
  AM_CONSISTENCY_TIMEOUT: setting(duration, 'how long a read "at least revision R" waits for the projection', { default: '2s' }),
} as const;
