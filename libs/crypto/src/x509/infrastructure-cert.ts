/**
 * Certificates for the infrastructure around the Access Manager (etcd's server and its clients),
 * signed by a private bootstrap CA. Unlike `issueCertificate` these are not for am:// principals:
 * the subject CN is the etcd user name (etcd's --client-cert-auth takes the user from it).
 */
import type { KeyObject } from 'node:crypto';
import { generateKeyPair } from './algorithms';
import type { CertificateAuthority } from './ca';
import { basicConstraints, extKeyUsage, extension, keyIdentifierOf, keyUsage, subjectKeyIdentifier } from './extensions';
import { encodeGeneralNames } from './general-names';
import { encodeName } from './names';
import { OID } from './oids';
import { toPem } from './pem';
import { randomSerial } from './serial';
import { signStructure, tbsCertificate } from './signing';
import { wholeSeconds } from './time';

const DAY_MS = 86_400_000;

export interface InfrastructureCertRequest {
  commonName: string;
  /** Server names (DNS and IP); with any, the certificate is also valid for serverAuth. */
  dnsNames?: string[];
  ipAddresses?: string[];
  validityDays?: number;
  now?: Date;
}

/** A fresh P-256 key and a certificate for it; both PEM (the key as PKCS#8). */
export function issueInfrastructureCertificate(ca: CertificateAuthority, request: InfrastructureCertRequest): { certificatePem: string; privateKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPair({ type: 'ec', curve: 'P-256' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const notBefore = wholeSeconds(new Date((request.now ?? new Date()).getTime() - 60_000));
  const wanted = new Date(notBefore.getTime() + (request.validityDays ?? 3650) * DAY_MS);
  const notAfter = wanted > ca.certificate.notAfter ? ca.certificate.notAfter : wanted;
  const server = Boolean(request.dnsNames?.length || request.ipAddresses?.length);
  const tbs = tbsCertificate({
    serial: randomSerial().der,
    signatureAlgorithm: ca.signing.identifier,
    issuer: ca.certificate.subjectDer,
    notBefore,
    notAfter,
    subject: encodeName([{ type: 'CN', value: request.commonName }]),
    spki,
    extensions: [
      basicConstraints(false),
      keyUsage(['digitalSignature']),
      extKeyUsage(server ? [OID.serverAuth, OID.clientAuth] : [OID.clientAuth]),
      ...(server ? [extension(OID.subjectAltName, false, encodeGeneralNames({ dnsNames: request.dnsNames, ipAddresses: request.ipAddresses }))] : []),
      subjectKeyIdentifier(keyIdentifierOf(spki)),
      ca.authorityKeyIdExtension,
    ],
  });
  return { certificatePem: toPem(signStructure(tbs, ca.signing, ca.privateKey), 'CERTIFICATE'), privateKeyPem: pkcs8Pem(privateKey) };
}

const pkcs8Pem = (key: KeyObject): string => key.export({ format: 'pem', type: 'pkcs8' }).toString();
