import { loadConfig, startBackend, type ConfigOf } from '@am/runtime';
import { policySettings } from './config';

export { policySettings };

export type PolicyConfig = ConfigOf<typeof policySettings>;

/** The policy service: owner of the am:// tree (metadata commands and queries arrive in later issues). */
export function startPolicy(config: PolicyConfig = loadConfig(policySettings)) {
  return startBackend({ service: 'policy', config });
}
