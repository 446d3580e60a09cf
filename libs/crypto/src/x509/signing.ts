/** Assembling and signing TBS structures (certificates and CRLs share the outer shape). */
import { sign, type KeyObject } from 'node:crypto';
import type { SigningAlgorithm } from './algorithms';
import { bitString, explicit, sequence, smallInteger } from './der-writer';
import { encodeTime } from './time';

/** SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature } — a Certificate or CertificateList. */
export function signStructure(tbs: Buffer, algorithm: SigningAlgorithm, privateKey: KeyObject): Buffer {
  return sequence(tbs, algorithm.identifier, bitString(sign(algorithm.hash, tbs, privateKey)));
}

const VERSION_3 = explicit(0, smallInteger(2));

export interface TbsCertificateFields {
  serial: Buffer;
  signatureAlgorithm: Buffer;
  issuer: Buffer;
  notBefore: Date;
  notAfter: Date;
  subject: Buffer;
  spki: Buffer;
  extensions: Buffer[];
}

export function tbsCertificate(f: TbsCertificateFields): Buffer {
  return sequence(
    VERSION_3,
    f.serial,
    f.signatureAlgorithm,
    f.issuer,
    sequence(encodeTime(f.notBefore), encodeTime(f.notAfter)),
    f.subject,
    f.spki,
    explicit(3, sequence(...f.extensions)),
  );
}
