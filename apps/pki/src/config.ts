import { commonSettings } from '@am/runtime';

export const pkiSettings = { ...commonSettings } as const;
