import { bool, duration, host, port, setting } from '@am/runtime';
import { isIP } from 'node:net';
import { z } from 'zod';

/** `DNS:name,IP:addr,…` → the names for the gateway's server certificate. */
const sans = z.string().transform((raw, ctx) => {
  const dns: string[] = [];
  const ip: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(DNS|IP):(.+)$/i.exec(item);
    if (m && m[1].toUpperCase() === 'DNS' && /^[A-Za-z0-9*.-]{1,253}$/.test(m[2])) dns.push(m[2].toLowerCase());
    else if (m && m[1].toUpperCase() === 'IP' && isIP(m[2])) ip.push(m[2]);
    else {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(item)} is not DNS:<name> or IP:<address>` });
      return z.NEVER;
    }
  }
  if (!dns.length && !ip.length) {
    ctx.addIssue({ code: 'custom', message: 'must name at least one DNS:<name> or IP:<address>' });
    return z.NEVER;
  }
  return { dns, ip };
});

const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
const addressList = list.refine((xs) => xs.every((x) => isIP(x) !== 0), 'must be IP addresses, comma-separated');

/** The gateway's HTTPS listener with mTLS (apps/gateway/src/tls). */
export const tlsSettings = {
  AM_GATEWAY_TLS: setting(bool, 'serve HTTPS (with client certificates) in addition to plain HTTP', { default: 'true' }),
  AM_GATEWAY_TLS_PORT: setting(port, 'REST gateway HTTPS port (mTLS)', { default: '8443' }),
  AM_GATEWAY_TLS_HOST: setting(host, 'address the HTTPS listener binds to', { default: '127.0.0.1' }),
  AM_GATEWAY_TLS_SANS: setting(sans, "names in the gateway's server certificate (issued by the pki at start and renewed)", { default: 'DNS:localhost,IP:127.0.0.1' }),
  AM_GATEWAY_TLS_CERT_VALIDITY: setting(duration, "lifetime of the gateway's server certificate (renewed at two thirds)", { default: '168h' }),
  AM_GATEWAY_TLS_MIN_VERSION: setting(z.enum(['TLSv1.2', 'TLSv1.3'], { error: 'must be TLSv1.2 or TLSv1.3' }), 'lowest TLS version accepted', { default: 'TLSv1.2' }),
  AM_GATEWAY_TLS_CIPHERS: setting(
    z.string().regex(/^[A-Za-z0-9_:+!@=-]*$/, 'must be an OpenSSL cipher list (names separated by :)'),
    'OpenSSL cipher list (TLS 1.2 ciphers and TLS 1.3 suites); empty = Node.js defaults',
    { default: '' },
  ),
  AM_GATEWAY_TLS_PROXIES: setting(
    addressList,
    'addresses of TLS-terminating proxies whose Ssl-Client-Cert / Ssl-Client-Verify headers are trusted; empty = never trusted',
    { default: '' },
  ),
} as const;
