import { MappingRule, PkiEventView, PkiKeyType, RevocationReason } from '@am/bus';
import { z } from 'zod';

/** Stored records of the pki domain (JSON values under PkiLayout's keys). */

const IsoTime = z.string();

/** `live/ca`: the public chain. `id` changes only if the CA is ever replaced. */
export const CaRecord = z.object({
  id: z.string(),
  keyType: PkiKeyType,
  createdAt: IsoTime,
  createdBy: z.string(),
  rootPem: z.string(),
  issuingPem: z.string(),
});
export type CaRecord = z.infer<typeof CaRecord>;

/** `keys/ca`: both private keys (PKCS#8 DER), each sealed with the master key, base64. */
export const CaKeysRecord = z.object({ caId: z.string(), root: z.string(), issuing: z.string() });
export type CaKeysRecord = z.infer<typeof CaKeysRecord>;

/** What a sealed CA key is bound to (AES-GCM associated data): a copy under another purpose does not open. */
export const caKeyPurpose = (keysKey: string, caId: string, which: 'root' | 'issuing') => `${keysKey}#${caId}#${which}`;

/**
 * `live/crl`: the current CRL is fully determined by this record and the revocations present at
 * its mod revision (entries sorted by serial, expired ones dropped), so every replica rebuilds
 * the same bytes and only the signature has to be stored.
 */
export const CrlStateRecord = z.object({
  caId: z.string(),
  number: z.string().regex(/^\d+$/),
  thisUpdate: IsoTime,
  nextUpdate: IsoTime,
  /** The issuing CA's signature over the TBSCertList, base64. */
  signature: z.string(),
});
export type CrlStateRecord = z.infer<typeof CrlStateRecord>;

/** `live/revoked/<serial>`: immutable. */
export const RevocationRecord = z.object({
  serial: z.string(),
  principal: z.string(),
  revokedAt: IsoTime,
  reason: RevocationReason,
  revokedBy: z.string(),
  /** The certificate's notAfter: the entry leaves the CRL once the certificate has expired. */
  notAfter: IsoTime,
});
export type RevocationRecord = z.infer<typeof RevocationRecord>;

/** `live/anchors/<fingerprint>`: an external CA trusted for client certificates. */
export const AnchorRecord = z.object({
  fingerprint: z.string(),
  label: z.string(),
  subject: z.string(),
  certificatePem: z.string(),
  mapping: MappingRule,
  notAfter: IsoTime,
  addedBy: z.string(),
  addedAt: IsoTime,
});
export type AnchorRecord = z.infer<typeof AnchorRecord>;

/** `live/pinned/<fingerprint>`: one principal per fingerprint. */
export const PinnedRecord = z.object({
  fingerprint: z.string(),
  principal: z.string(),
  subject: z.string().optional(),
  notAfter: IsoTime.optional(),
  addedBy: z.string(),
  addedAt: IsoTime,
});
export type PinnedRecord = z.infer<typeof PinnedRecord>;

/** `certs/<serial>`: what was issued, to whom, by whom. */
export const CertificateRecord = z.object({
  serial: z.string(),
  principal: z.string(),
  profile: z.enum(['client', 'server']),
  notBefore: IsoTime,
  notAfter: IsoTime,
  fingerprint: z.string(),
  issuedBy: z.string(),
  issuedAt: IsoTime,
  caId: z.string(),
  certificatePem: z.string(),
});
export type CertificateRecord = z.infer<typeof CertificateRecord>;

/** `events/<id>`: as published, without `seq` (the revision of the transaction that wrote it). */
export const StoredPkiEvent = PkiEventView.omit({ seq: true });
export type StoredPkiEvent = z.infer<typeof StoredPkiEvent>;
