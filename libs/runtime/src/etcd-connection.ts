import { createEtcd, etcdTlsOptions } from '@am/store';
import type { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import { ConfigError } from './config';

export interface EtcdConnectionConfig {
  AM_ETCD_URLS: string[];
  AM_ETCD_CA_FILE?: string;
  AM_ETCD_CERT_FILE?: string;
  AM_ETCD_KEY_FILE?: string;
  AM_ETCD_ALLOW_INSECURE: boolean;
}

const TLS_VARS = ['AM_ETCD_CA_FILE', 'AM_ETCD_CERT_FILE', 'AM_ETCD_KEY_FILE'] as const;

/**
 * The service's etcd client. Secure by default: https:// URLs with this service's own client
 * certificate (etcd's RBAC user is its CN). Plain http:// without a certificate is refused with one
 * line, unless AM_ETCD_ALLOW_INSECURE=true, which is announced in the log.
 */
export function connectEtcd(config: EtcdConnectionConfig, log: Logger): Etcd3 {
  const given = TLS_VARS.filter((v) => config[v]);
  const plain = config.AM_ETCD_URLS.filter((u) => u.startsWith('http://'));
  if (given.length === 0) {
    if (!config.AM_ETCD_ALLOW_INSECURE) {
      throw new ConfigError(
        'AM_ETCD_CERT_FILE',
        'invalid configuration: etcd without a client certificate is refused; set AM_ETCD_CA_FILE, AM_ETCD_CERT_FILE and AM_ETCD_KEY_FILE with https:// AM_ETCD_URLS (or AM_ETCD_ALLOW_INSECURE=true for an unauthenticated development etcd)',
      );
    }
    log.warn({ urls: config.AM_ETCD_URLS }, 'AM_ETCD_ALLOW_INSECURE=true: etcd is used without TLS and without a client certificate; anyone who reaches it can change what this service trusts');
    return createEtcd(config.AM_ETCD_URLS);
  }
  const missing = TLS_VARS.filter((v) => !config[v]);
  if (missing.length) throw new ConfigError(missing[0], `invalid configuration: ${given.join(', ')} set but ${missing.join(', ')} not; an etcd client certificate needs all three`);
  if (plain.length) throw new ConfigError('AM_ETCD_URLS', `invalid configuration: AM_ETCD_URLS must be https:// with a client certificate (got ${plain.join(', ')})`);
  let tls;
  try {
    tls = etcdTlsOptions({ caFile: config.AM_ETCD_CA_FILE!, certFile: config.AM_ETCD_CERT_FILE!, keyFile: config.AM_ETCD_KEY_FILE! });
  } catch (err) {
    throw new ConfigError('AM_ETCD_CERT_FILE', `invalid configuration: cannot read the etcd client certificate files: ${(err as Error).message}`);
  }
  return createEtcd(config.AM_ETCD_URLS, tls);
}
