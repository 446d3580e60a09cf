/** Issuance with a server-generated key pair, optionally packed as a PKCS#12 keystore. */
import { DEFAULT_KEY_SPEC, generateKeyPair, type KeySpec } from './algorithms';
import type { CertificateAuthority } from './ca';
import { DEFAULT_ISSUANCE_POLICY, issueCertificate, type IssuancePolicy, type IssuedCertificate, type LeafRequest } from './issue';
import { toPem } from './pem';
import { buildPkcs12 } from './pkcs12';

export interface GeneratedKeyOptions {
  key?: KeySpec;
  /** When set, also return a PKCS#12 with the key, the leaf and the chain, protected by it. */
  pkcs12Password?: string;
}

export interface IssuedWithKey extends IssuedCertificate {
  /** Unencrypted PKCS#8 PEM; hand it over once, never store it. */
  privateKeyPem: string;
  pkcs12?: Buffer;
}

export function issueWithGeneratedKey(
  ca: CertificateAuthority,
  request: LeafRequest,
  options: GeneratedKeyOptions = {},
  policy: IssuancePolicy = DEFAULT_ISSUANCE_POLICY,
): IssuedWithKey {
  const { privateKey, publicKey } = generateKeyPair(options.key ?? DEFAULT_KEY_SPEC);
  const issued = issueCertificate(ca, publicKey, request, policy);
  const privateKeyPem = toPem(privateKey.export({ format: 'der', type: 'pkcs8' }), 'PRIVATE KEY');
  if (options.pkcs12Password === undefined) return { ...issued, privateKeyPem };
  const pkcs12 = buildPkcs12({ privateKey, certificate: issued.der, chain: ca.chainPem, password: options.pkcs12Password, friendlyName: issued.principal });
  return { ...issued, privateKeyPem, pkcs12 };
}
