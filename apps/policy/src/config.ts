import { commonSettings } from '@am/runtime';

export const policySettings = { ...commonSettings } as const;
