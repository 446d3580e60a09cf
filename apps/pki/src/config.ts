import { PKI_KEY_TYPES } from '@am/bus';
import { isAmError, parseCertNameGrants } from '@am/model';
import { bool, commonSettings, duration, optionalString, setting } from '@am/runtime';
import { z } from 'zod';

/** DNS:/IP: names (patterns allowed) only the gateway's certificate may carry; checked at start. */
const reservedNames = z.string().transform((raw, ctx) => {
  try {
    parseCertNameGrants(raw, 'AM_PKI_RESERVED_NAMES');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: isAmError(err) ? err.message : String(err) });
    return z.NEVER;
  }
  return raw.split(/[\s,]+/).filter(Boolean);
});

const keyType = z.enum(PKI_KEY_TYPES, { error: `must be one of ${PKI_KEY_TYPES.join(', ')}` });

export const pkiSettings = {
  ...commonSettings,
  AM_MASTER_KEY_FILE: setting(z.string({ error: 'must be set' }).min(1, 'must name a file'), 'master key file that seals the CA private keys in etcd (created, mode 0600, if missing)', {
    default: './master.key',
  }),
  AM_PKI_KEY_TYPE: setting(keyType, 'key algorithm of the CA created on first start or by `am pki init`', { default: 'ec-p256' }),
  AM_PKI_AUTO_INIT: setting(bool, 'create the CA on first start when there is none (false: wait for `am pki init`)', { default: 'true' }),
  AM_PKI_ORGANIZATION: setting(optionalString, 'organization (O) in the CA subjects'),
  AM_PKI_CERT_VALIDITY: setting(duration, 'validity of issued certificates when the request names none', { default: '2160h' }),
  AM_PKI_CERT_MAX_VALIDITY: setting(duration, 'upper bound of an issued certificate\'s validity (never beyond the issuing CA)', { default: '9528h' }),
  AM_PKI_RESERVED_NAMES: setting(
    reservedNames,
    "certificate names reserved for the gateway's own certificate, never issued to anyone else even when granted (set it to the gateway's AM_GATEWAY_TLS_SANS and any other name of it)",
    { default: 'DNS:localhost,IP:127.0.0.1,IP:::1' },
  ),
  AM_PKI_CRL_VALIDITY: setting(duration, 'CRL lifetime (nextUpdate - thisUpdate); a new CRL is issued at half-life and on every revocation', {
    default: '24h',
  }),
} as const;
