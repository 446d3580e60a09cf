import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/** DER: tag, definite length, content. */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const sequence = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
/** 2.5.4.3 commonName; 1.2.840.10045.4.3.2 ecdsa-with-SHA256. */
const OID_CN = Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]);
const OID_ECDSA_SHA256 = Buffer.from([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);

/**
 * The gateway's TLS key (ECDSA P-256, generated in memory at start, never stored or sent) and a
 * PKCS#10 CSR for it. The pki takes only the public key and the proof of possession from it: the
 * names and the principal in the certificate are its own decision.
 */
export function gatewayKeyAndCsr(commonName = 'access-manager-gateway'): { privateKey: KeyObject; csrPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const subject = sequence(tlv(0x31, sequence(OID_CN, tlv(0x0c, Buffer.from(commonName, 'utf8')))));
  const info = sequence(Buffer.from([0x02, 0x01, 0x00]), subject, publicKey.export({ format: 'der', type: 'spki' }), Buffer.from([0xa0, 0x00]));
  const signature = sign('sha256', info, { key: privateKey, dsaEncoding: 'der' });
  const csr = sequence(info, sequence(OID_ECDSA_SHA256), tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const body = csr.toString('base64').match(/.{1,64}/g)!.join('\n');
  return { privateKey, csrPem: `-----BEGIN CERTIFICATE REQUEST-----\n${body}\n-----END CERTIFICATE REQUEST-----\n` };
}
