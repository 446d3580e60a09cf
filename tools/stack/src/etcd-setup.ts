import { commonSettings, ConfigError, connectEtcd, createLogger, loadConfig, setting, bool } from '@am/runtime';
import { ensureEtcdAccess, etcdReachable } from '@am/store';

/**
 * compose's one-shot `etcd-setup`: with etcd's root client certificate, makes the etcd users, roles
 * and permissions of @am/store's table (one user per service) and enables authentication; then
 * exits 0. Idempotent, so it runs on every `docker compose up`. Root is used only here.
 */
const settings = {
  AM_ETCD_URLS: commonSettings.AM_ETCD_URLS,
  AM_ETCD_CA_FILE: commonSettings.AM_ETCD_CA_FILE,
  AM_ETCD_CERT_FILE: commonSettings.AM_ETCD_CERT_FILE,
  AM_ETCD_KEY_FILE: commonSettings.AM_ETCD_KEY_FILE,
  // No insecure mode here: this is what secures etcd.
  AM_ETCD_ALLOW_INSECURE: setting(bool, 'never true for etcd-setup', { default: 'false' }),
  AM_ETCD_PREFIX: commonSettings.AM_ETCD_PREFIX,
  AM_LOG_LEVEL: commonSettings.AM_LOG_LEVEL,
};

async function main(): Promise<void> {
  const config = loadConfig(settings);
  if (config.AM_ETCD_ALLOW_INSECURE) throw new ConfigError('AM_ETCD_ALLOW_INSECURE', 'invalid configuration: etcd-setup needs the root client certificate, not AM_ETCD_ALLOW_INSECURE');
  const log = createLogger('etcd-setup', config.AM_LOG_LEVEL);
  const root = connectEtcd(config, log);
  try {
    if (!(await etcdReachable(root, 5000))) throw new Error(`etcd at ${config.AM_ETCD_URLS.join(',')} does not answer`);
    await ensureEtcdAccess(root, [config.AM_ETCD_PREFIX]);
    log.info({ prefix: config.AM_ETCD_PREFIX }, 'etcd users, roles and authentication are in place');
  } finally {
    root.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`etcd-setup: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
