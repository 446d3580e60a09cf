/**
 * Leaf certificates signed by the intermediate.
 *
 * Profiles (the stated serverAuth rule):
 * - `client` (default): EKU clientAuth only; the only SAN is the URI of the principal.
 * - `server`: only for `am://workload/…` principals, and only with at least one DNS name or IP
 *   address; EKU serverAuth + clientAuth (a workload serves and calls); SANs = URI + the DNS/IP
 *   names given. Wildcard DNS names are refused. A CSR's own SAN request is never copied: the
 *   caller passes the names it has authorised.
 *
 * Every leaf: random 128-bit serial; subject CN = the principal (when it fits the 64-character
 * CN bound, otherwise an empty subject and a critical SAN, per RFC 5280); basicConstraints
 * CA:FALSE; keyUsage digitalSignature (+ keyEncipherment for RSA keys); SKI/AKI; validity =
 * min(requested or default, maximum), never past the issuer's notAfter, backdated slightly for
 * clock skew but never before the issuer's notBefore.
 *
 * Speed: the TBSCertificate is written directly as DER; issuer name, AKI, algorithm identifier
 * and the constant extensions are precomputed, so a signing is a few small Buffer copies plus one
 * node:crypto signature.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { describeKey } from './algorithms';
import type { CertificateAuthority } from './ca';
import { X509Error, X509InputError } from './errors';
import { basicConstraints, extKeyUsage, extension, keyIdentifierOf, keyUsage, subjectKeyIdentifier } from './extensions';
import { encodeGeneralNames } from './general-names';
import { canonicalIp } from './ip-address';
import { encodeName } from './names';
import { OID } from './oids';
import { toPem } from './pem';
import { checkCertificatePrincipal, isWorkload } from './principal';
import { randomSerial } from './serial';
import { signStructure, tbsCertificate } from './signing';
import { wholeSeconds } from './time';

export type CertificateProfile = 'client' | 'server';

export interface IssuancePolicy {
  defaultValiditySeconds: number;
  maxValiditySeconds: number;
  /** notBefore = now − this, to tolerate clocks slightly behind ours. */
  backdateSeconds: number;
}

export const DEFAULT_ISSUANCE_POLICY: IssuancePolicy = {
  defaultValiditySeconds: 90 * 86_400,
  maxValiditySeconds: 397 * 86_400,
  backdateSeconds: 60,
};

export interface LeafRequest {
  principal: string;
  profile?: CertificateProfile;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Requested lifetime; capped by the policy maximum and the issuer's notAfter. */
  validitySeconds?: number;
  now?: Date;
}

export interface IssuedCertificate {
  der: Buffer;
  pem: string;
  /** The issuing CA and its issuers, PEM (what `GET /v1/pki/ca` serves). */
  chainPem: string;
  serialHex: string;
  principal: string;
  notBefore: Date;
  notAfter: Date;
  fingerprint256: string;
}

export const MAX_SERVER_NAMES = 100;
const CN_MAX = 64;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

const LEAF_BASIC_CONSTRAINTS = basicConstraints(false);
const KEY_USAGE_EC = keyUsage(['digitalSignature']);
const KEY_USAGE_RSA = keyUsage(['digitalSignature', 'keyEncipherment']);
const EKU_CLIENT = extKeyUsage([OID.clientAuth]);
const EKU_SERVER = extKeyUsage([OID.serverAuth, OID.clientAuth]);

export function issueCertificate(
  ca: CertificateAuthority,
  publicKey: KeyObject,
  request: LeafRequest,
  policy: IssuancePolicy = DEFAULT_ISSUANCE_POLICY,
): IssuedCertificate {
  const principal = checkCertificatePrincipal(request.principal);
  const keyInfo = describeKey(publicKey);
  const names = serverNames(principal, request);
  const { notBefore, notAfter } = validityWindow(ca, request, policy);

  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const cnFits = principal.length <= CN_MAX;
  const serial = randomSerial();
  const tbs = tbsCertificate({
    serial: serial.der,
    signatureAlgorithm: ca.signing.identifier,
    issuer: ca.certificate.subjectDer,
    notBefore,
    notAfter,
    subject: encodeName(cnFits ? [{ type: 'CN', value: principal }] : []),
    spki,
    extensions: [
      LEAF_BASIC_CONSTRAINTS,
      keyInfo.type === 'rsa' ? KEY_USAGE_RSA : KEY_USAGE_EC,
      names ? EKU_SERVER : EKU_CLIENT,
      extension(OID.subjectAltName, !cnFits, encodeGeneralNames({ uris: [principal], ...names })),
      subjectKeyIdentifier(keyIdentifierOf(spki)),
      ca.authorityKeyIdExtension,
    ],
  });
  const der = signStructure(tbs, ca.signing, ca.privateKey);
  return {
    der,
    pem: toPem(der, 'CERTIFICATE'),
    chainPem: ca.chainPem,
    serialHex: serial.hex,
    principal,
    notBefore,
    notAfter,
    fingerprint256: createHash('sha256').update(der).digest('hex'),
  };
}

/** DNS/IP names for a server certificate, or undefined for a client one (see the module rule). */
function serverNames(principal: string, request: LeafRequest): { dnsNames: string[]; ipAddresses: string[] } | undefined {
  const dnsNames = request.dnsNames ?? [];
  const ipAddresses = request.ipAddresses ?? [];
  const profile = request.profile ?? 'client';
  if (profile === 'client') {
    if (dnsNames.length || ipAddresses.length) throw new X509InputError('DNS/IP names are only issued in server certificates (profile "server")');
    return undefined;
  }
  if (profile !== 'server') throw new X509InputError(`unknown certificate profile ${JSON.stringify(profile)}`);
  if (!isWorkload(principal)) throw new X509InputError('server certificates are only issued to am://workload/… principals', 'profile-not-allowed');
  if (!dnsNames.length && !ipAddresses.length) throw new X509InputError('a server certificate needs at least one DNS name or IP address');
  if (dnsNames.length + ipAddresses.length > MAX_SERVER_NAMES) throw new X509InputError(`at most ${MAX_SERVER_NAMES} DNS/IP names`);
  return {
    dnsNames: dnsNames.map((d) => {
      const name = String(d).toLowerCase();
      if (!DNS_NAME.test(name)) throw new X509InputError(`not an acceptable DNS name (no wildcards): ${JSON.stringify(String(d).slice(0, 260))}`);
      return name;
    }),
    ipAddresses: ipAddresses.map((ip) => canonicalIp(String(ip))),
  };
}

function validityWindow(ca: CertificateAuthority, request: LeafRequest, policy: IssuancePolicy): { notBefore: Date; notAfter: Date } {
  const requested = request.validitySeconds ?? policy.defaultValiditySeconds;
  if (!Number.isInteger(requested) || requested < 1) throw new X509InputError(`validity must be a positive whole number of seconds, got ${requested}`);
  const now = wholeSeconds(request.now ?? new Date());
  const issuer = ca.certificate;
  if (now >= issuer.notAfter) throw new X509Error('the issuing CA has expired', 'issuer-expired');
  if (now < issuer.notBefore) throw new X509Error('the issuing CA is not valid yet', 'issuer-not-yet-valid');
  const backdated = new Date(now.getTime() - policy.backdateSeconds * 1000);
  const notBefore = backdated < issuer.notBefore ? issuer.notBefore : backdated;
  const wanted = new Date(now.getTime() + Math.min(requested, policy.maxValiditySeconds) * 1000);
  return { notBefore, notAfter: wanted > issuer.notAfter ? issuer.notAfter : wanted };
}
