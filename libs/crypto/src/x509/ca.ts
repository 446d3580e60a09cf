/**
 * Certificate authorities: creating a root and an intermediate, and loading one (certificate +
 * PKCS#8 key, e.g. after unsealing it with the MasterKey) into the in-memory form that signs.
 * The root only signs intermediates (pathLen 1); the intermediate signs leaves (pathLen 0).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { DEFAULT_KEY_SPEC, describeKey, generateKeyPair, signingAlgorithmFor, type KeySpec, type SigningAlgorithm } from './algorithms';
import { parseCertificate, type ParsedCertificate } from './certificate';
import { X509Error, X509InputError, asInputError } from './errors';
import { authorityKeyIdentifier, basicConstraints, keyIdentifierOf, keyUsage, subjectKeyIdentifier } from './extensions';
import { encodeName, type NameAttribute } from './names';
import { derFromPemOrDer, toPem } from './pem';
import { randomSerial } from './serial';
import { signStructure, tbsCertificate } from './signing';
import { wholeSeconds } from './time';

const DAY_MS = 86_400_000;
export const DEFAULT_ROOT_VALIDITY_DAYS = 3650;
export const DEFAULT_INTERMEDIATE_VALIDITY_DAYS = 1825;
/** Upper bound for any CA certificate we create. */
export const MAX_CA_VALIDITY_DAYS = 25 * 365;

/** A CA ready to sign: its certificate, key and the per-issuer constants leaves and CRLs reuse. */
export interface CertificateAuthority {
  readonly certificate: ParsedCertificate;
  /** This CA's certificate followed by its issuers' (root last), PEM. */
  readonly chainPem: string;
  readonly privateKey: KeyObject;
  readonly signing: SigningAlgorithm;
  /** AuthorityKeyIdentifier extension DER for everything this CA signs. */
  readonly authorityKeyIdExtension: Buffer;
}

export interface CaOptions {
  /** Subject attributes, e.g. [{type:'CN', value:'AM Root CA'}, {type:'O', value:'HPE'}]. */
  subject: NameAttribute[];
  key?: KeySpec;
  validityDays?: number;
  now?: Date;
}

export interface GeneratedCa {
  authority: CertificateAuthority;
  certificatePem: string;
  certificateDer: Buffer;
  /** The private key as unencrypted PKCS#8; seal it before storing. */
  privateKeyPem: string;
  privateKeyDer: Buffer;
}

export function loadCertificateAuthority(input: {
  certificate: string | Buffer;
  /** PKCS#8 (or any form node:crypto reads) as PEM, or PKCS#8 DER. */
  privateKey: string | Buffer | KeyObject;
  /** The certificates above this CA, nearest first (PEM, possibly concatenated). */
  issuerChain?: string;
}): CertificateAuthority {
  const certificate = parseCertificate(input.certificate);
  if (!certificate.basicConstraints?.ca) throw new X509InputError('the CA certificate does not have basicConstraints CA:TRUE');
  if (certificate.keyUsage && !certificate.keyUsage.has('keyCertSign')) throw new X509InputError('the CA certificate lacks keyUsage keyCertSign');
  const privateKey = asInputError('cannot read the CA private key', () => toPrivateKey(input.privateKey));
  describeKey(privateKey);
  const spkiOfKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  if (!spkiOfKey.equals(certificate.spki)) throw new X509InputError('the CA private key does not match its certificate');
  return {
    certificate,
    chainPem: certificate.pem + (input.issuerChain ?? ''),
    privateKey,
    signing: signingAlgorithmFor(privateKey),
    authorityKeyIdExtension: authorityKeyIdentifier(certificate.subjectKeyId ?? keyIdentifierOf(certificate.spki)),
  };
}

function toPrivateKey(key: string | Buffer | KeyObject): KeyObject {
  if (typeof key !== 'string' && !Buffer.isBuffer(key)) return key;
  if (typeof key === 'string' || key.subarray(0, 11).toString('latin1') === '-----BEGIN ') return createPrivateKey(key);
  return createPrivateKey({ key: derFromPemOrDer(key, ['PRIVATE KEY'], 'private key'), format: 'der', type: 'pkcs8' });
}

/** A self-signed root CA. */
export function createRootCa(options: CaOptions): GeneratedCa {
  const { privateKey, publicKey } = generateKeyPair(options.key ?? DEFAULT_KEY_SPEC);
  const notBefore = wholeSeconds(options.now ?? new Date());
  const notAfter = new Date(notBefore.getTime() + validityDays(options, DEFAULT_ROOT_VALIDITY_DAYS) * DAY_MS);
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const keyId = keyIdentifierOf(spki);
  const signing = signingAlgorithmFor(privateKey);
  const name = encodeName(options.subject);
  const der = signCaCertificate({ name, issuerName: name, spki, keyId, issuerKeyId: keyId, pathLength: 1, notBefore, notAfter, signing, signingKey: privateKey });
  return finish(der, privateKey, '');
}

/** An intermediate CA signed by `parent`; its validity never extends beyond the parent's. */
export function createIntermediateCa(parent: CertificateAuthority, options: CaOptions): GeneratedCa {
  const { privateKey, publicKey } = generateKeyPair(options.key ?? DEFAULT_KEY_SPEC);
  const now = wholeSeconds(options.now ?? new Date());
  if (now >= parent.certificate.notAfter) throw new X509Error('the parent CA has expired', 'issuer-expired');
  const notBefore = now < parent.certificate.notBefore ? parent.certificate.notBefore : now;
  const wanted = new Date(now.getTime() + validityDays(options, DEFAULT_INTERMEDIATE_VALIDITY_DAYS) * DAY_MS);
  const notAfter = wanted > parent.certificate.notAfter ? parent.certificate.notAfter : wanted;
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const der = signCaCertificate({
    name: encodeName(options.subject),
    issuerName: parent.certificate.subjectDer,
    spki,
    keyId: keyIdentifierOf(spki),
    issuerKeyId: parent.certificate.subjectKeyId ?? keyIdentifierOf(parent.certificate.spki),
    pathLength: 0,
    notBefore,
    notAfter,
    signing: parent.signing,
    signingKey: parent.privateKey,
  });
  return finish(der, privateKey, parent.chainPem);
}

/** Root and intermediate in one step; the intermediate's chain includes the root. */
export function createCaHierarchy(options: { organization?: string; key?: KeySpec; now?: Date; rootValidityDays?: number; intermediateValidityDays?: number }): {
  root: GeneratedCa;
  intermediate: GeneratedCa;
} {
  const org = options.organization ? [{ type: 'O', value: options.organization }] : [];
  const root = createRootCa({ subject: [...org, { type: 'CN', value: 'Access Manager Root CA' }], key: options.key, now: options.now, validityDays: options.rootValidityDays });
  const intermediate = createIntermediateCa(root.authority, {
    subject: [...org, { type: 'CN', value: 'Access Manager Issuing CA' }],
    key: options.key,
    now: options.now,
    validityDays: options.intermediateValidityDays,
  });
  return { root, intermediate };
}

function validityDays(options: CaOptions, fallback: number): number {
  const days = options.validityDays ?? fallback;
  if (!Number.isInteger(days) || days < 1 || days > MAX_CA_VALIDITY_DAYS) {
    throw new X509InputError(`CA validity must be 1..${MAX_CA_VALIDITY_DAYS} days, got ${days}`);
  }
  return days;
}

function signCaCertificate(f: {
  name: Buffer;
  issuerName: Buffer;
  spki: Buffer;
  keyId: Buffer;
  issuerKeyId: Buffer;
  pathLength: number;
  notBefore: Date;
  notAfter: Date;
  signing: SigningAlgorithm;
  signingKey: KeyObject;
}): Buffer {
  const tbs = tbsCertificate({
    serial: randomSerial().der,
    signatureAlgorithm: f.signing.identifier,
    issuer: f.issuerName,
    notBefore: f.notBefore,
    notAfter: f.notAfter,
    subject: f.name,
    spki: f.spki,
    extensions: [
      basicConstraints(true, f.pathLength),
      keyUsage(['keyCertSign', 'cRLSign']),
      subjectKeyIdentifier(f.keyId),
      authorityKeyIdentifier(f.issuerKeyId),
    ],
  });
  return signStructure(tbs, f.signing, f.signingKey);
}

function finish(der: Buffer, privateKey: KeyObject, issuerChain: string): GeneratedCa {
  const privateKeyDer = privateKey.export({ format: 'der', type: 'pkcs8' });
  const authority = loadCertificateAuthority({ certificate: der, privateKey, issuerChain });
  return {
    authority,
    certificatePem: toPem(der, 'CERTIFICATE'),
    certificateDer: der,
    privateKeyPem: toPem(privateKeyDer, 'PRIVATE KEY'),
    privateKeyDer,
  };
}
