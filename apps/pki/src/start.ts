import { loadConfig, startBackend, type ConfigOf } from '@am/runtime';
import { pkiSettings } from './config';

export { pkiSettings };

export type PkiConfig = ConfigOf<typeof pkiSettings>;

/** The pki service: certificate authority, issued certificates, revocations and CRL (arrives with the PKI issue). */
export function startPki(config: PkiConfig = loadConfig(pkiSettings)) {
  return startBackend({ service: 'pki', config });
}
