import { loadConfig, startBackend, type ConfigOf } from '@am/runtime';
import { MetaProjection, MetaStore } from '@am/store';
import { policySettings } from './config';
import { bootIfEmpty } from './metadata/boot';

export { policySettings };

export type PolicyConfig = ConfigOf<typeof policySettings>;

/**
 * The policy service: owner of the am:// tree. It keeps a projection of the metadata in etcd and
 * boots the configured universe into an empty store (the metadata handlers build on this).
 */
export async function startPolicy(config: PolicyConfig = loadConfig(policySettings)) {
  let projection: MetaProjection | undefined;
  const backend = await startBackend({
    service: 'policy',
    config,
    setup: async ({ etcd, log }) => {
      projection = new MetaProjection(etcd, new MetaStore(etcd, config.AM_ETCD_PREFIX), {
        consistencyTimeoutMs: config.AM_CONSISTENCY_TIMEOUT,
        onError: (err) => log.warn({ err: err.message }, 'metadata watch interrupted; reloading'),
      });
      await projection.start();
      await bootIfEmpty(projection, config.AM_BOOT_UNIVERSE, log);
      return { close: () => projection!.stop() };
    },
  });
  return {
    ...backend,
    get projection(): MetaProjection {
      if (!projection) throw new Error('policy is not started');
      return projection;
    },
  };
}
