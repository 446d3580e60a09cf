import pino from 'pino';
import { ConfigError } from './config';
import { connectEtcd } from './etcd-connection';

const base = { AM_ETCD_URLS: ['https://127.0.0.1:2379'], AM_ETCD_ALLOW_INSECURE: false };

function refusal(config: Parameters<typeof connectEtcd>[0]): ConfigError {
  try {
    connectEtcd(config, pino({ level: 'silent' })).close();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('connectEtcd: secure by default', () => {
  it('refuses an etcd without a client certificate, naming the variables and the opt-in', () => {
    expect(refusal({ ...base, AM_ETCD_URLS: ['http://127.0.0.1:2379'] }).message).toMatch(/set AM_ETCD_CA_FILE, AM_ETCD_CERT_FILE and AM_ETCD_KEY_FILE .*AM_ETCD_ALLOW_INSECURE=true/);
  });

  it('refuses a partial certificate, and certificates with a plain http:// URL', () => {
    expect(refusal({ ...base, AM_ETCD_CERT_FILE: '/c', AM_ETCD_KEY_FILE: '/k' })).toMatchObject({ variable: 'AM_ETCD_CA_FILE' });
    expect(refusal({ ...base, AM_ETCD_URLS: ['http://127.0.0.1:2379'], AM_ETCD_CA_FILE: '/a', AM_ETCD_CERT_FILE: '/c', AM_ETCD_KEY_FILE: '/k' }).message).toMatch(/must be https:\/\//);
    expect(refusal({ ...base, AM_ETCD_CA_FILE: '/no/such', AM_ETCD_CERT_FILE: '/c', AM_ETCD_KEY_FILE: '/k' }).message).toMatch(/cannot read the etcd client certificate files/);
  });

  it('with AM_ETCD_ALLOW_INSECURE=true connects without TLS and says so in the log', () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => lines.push(l) });
    connectEtcd({ ...base, AM_ETCD_URLS: ['http://127.0.0.1:2379'], AM_ETCD_ALLOW_INSECURE: true }, log).close();
    expect(lines.join('')).toContain('AM_ETCD_ALLOW_INSECURE=true');
  });
});
