import type { PkiKeyType } from '@am/bus';
import { createCaHierarchy, crlIssuerOf, crlToBeSigned, loadCertificateAuthority, signCrl, type CertificateAuthority, type KeySpec, type MasterKey, type RecordSigner } from '@am/crypto';
import { AlreadyExistsError, InternalError } from '@am/model';
import { caKeyPurpose, CaKeysRecord, CaRecord, type CrlStateRecord, type PkiLayout, type StoredPkiEvent } from '@am/pki-state';
import type { Etcd3 } from 'etcd3';
import { randomBytes } from 'node:crypto';
import { newEventId, wholeSecondsIso } from './ids';

export const KEY_SPECS: Record<PkiKeyType, KeySpec> = {
  'ec-p256': { type: 'ec', curve: 'P-256' },
  'ec-p384': { type: 'ec', curve: 'P-384' },
  'rsa-2048': { type: 'rsa', bits: 2048 },
  'rsa-3072': { type: 'rsa', bits: 3072 },
  'rsa-4096': { type: 'rsa', bits: 4096 },
};

export interface CreateCaOptions {
  keyType: PkiKeyType;
  organization?: string;
  actor: string;
  crlValidityMs: number;
}

/**
 * Creates the root and issuing CA and writes, in one transaction guarded by "no CA yet": the public
 * chain (`live/ca`), both private keys sealed with the master key (`keys/ca`), the first (empty)
 * CRL and the `ca-created` event. Several replicas starting together each try; exactly one wins,
 * the others get AlreadyExistsError and use the winner's CA.
 */
export async function createCa(
  etcd: Etcd3,
  layout: PkiLayout,
  masterKey: MasterKey,
  records: RecordSigner,
  options: CreateCaOptions,
): Promise<{ revision: number; event: StoredPkiEvent }> {
  const { root, intermediate } = createCaHierarchy({ key: KEY_SPECS[options.keyType], organization: options.organization });
  const id = randomBytes(8).toString('hex');
  const now = new Date();
  const ca: CaRecord = {
    id,
    keyType: options.keyType,
    createdAt: now.toISOString(),
    createdBy: options.actor,
    rootPem: root.certificatePem,
    issuingPem: intermediate.certificatePem,
  };
  const keys: CaKeysRecord = {
    caId: id,
    root: masterKey.seal(root.privateKeyDer, caKeyPurpose(layout.caKeys, id, 'root')).toString('base64'),
    issuing: masterKey.seal(intermediate.privateKeyDer, caKeyPurpose(layout.caKeys, id, 'issuing')).toString('base64'),
  };
  const thisUpdate = wholeSecondsIso(now);
  const crlFields = { number: '1', thisUpdate, nextUpdate: new Date(Date.parse(thisUpdate) + options.crlValidityMs).toISOString() };
  const issuer = crlIssuerOf(intermediate.authority);
  const tbs = crlToBeSigned(issuer, [], { crlNumber: 1n, thisUpdate: new Date(crlFields.thisUpdate), nextUpdate: new Date(crlFields.nextUpdate) });
  const crl: CrlStateRecord = { caId: id, ...crlFields, signature: signCrl(intermediate.authority, tbs).toString('base64') };
  const event: StoredPkiEvent = { id: newEventId(), time: now.toISOString(), actor: options.actor, kind: 'ca-created', crlNumber: '1' };
  const result = await etcd
    .if(layout.ca, 'Create', '==', 0)
    .then(
      etcd.put(layout.ca).value(records.seal(layout.ca, ca)),
      etcd.put(layout.caKeys).value(JSON.stringify(keys)),
      etcd.put(layout.crl).value(JSON.stringify(crl)),
      etcd.put(layout.event(event.id)).value(JSON.stringify(event)),
    )
    .commit();
  if (!result.succeeded) throw new AlreadyExistsError('a certificate authority already exists');
  return { revision: Number(result.header!.revision), event };
}

/**
 * Signs a CA record written before records were signed, so verifiers trust it again, once it is
 * proven ours: both certificates must match the private keys sealed with our master key (which
 * nobody without it can have written). Anything else is left alone and stays untrusted.
 */
export async function signUnsignedCa(etcd: Etcd3, layout: PkiLayout, masterKey: MasterKey, records: RecordSigner): Promise<boolean> {
  const [caKv, keysRaw] = [(await etcd.get(layout.ca).exec()).kvs[0], await etcd.get(layout.caKeys).string()];
  if (!caKv || !keysRaw) return false;
  const value: unknown = JSON.parse(caKv.value.toString());
  if (records.open(layout.ca, value)) return false;
  const ca = CaRecord.parse(value);
  const keys = CaKeysRecord.parse(JSON.parse(keysRaw));
  if (keys.caId !== ca.id) return false;
  for (const which of ['root', 'issuing'] as const) {
    const der = masterKey.open(Buffer.from(keys[which], 'base64'), caKeyPurpose(layout.caKeys, ca.id, which));
    loadCertificateAuthority({ certificate: which === 'root' ? ca.rootPem : ca.issuingPem, privateKey: der }); // throws unless the key is the certificate's
  }
  const result = await etcd.if(layout.ca, 'Mod', '==', caKv.mod_revision).then(etcd.put(layout.ca).value(records.seal(layout.ca, ca))).commit();
  return result.succeeded;
}

/** The issuing CA with its private key, unsealed from `keys/ca` (the chain comes from the view). */
export async function loadIssuingCa(etcd: Etcd3, layout: PkiLayout, masterKey: MasterKey, ca: CaRecord): Promise<CertificateAuthority> {
  const raw = await etcd.get(layout.caKeys).string();
  if (!raw) throw new InternalError(`the CA ${ca.id} has no stored keys`);
  const keys = CaKeysRecord.parse(JSON.parse(raw));
  if (keys.caId !== ca.id) throw new InternalError(`the stored CA keys belong to CA ${keys.caId}, not ${ca.id}`);
  const der = masterKey.open(Buffer.from(keys.issuing, 'base64'), caKeyPurpose(layout.caKeys, ca.id, 'issuing'));
  return loadCertificateAuthority({ certificate: ca.issuingPem, privateKey: der, issuerChain: ca.rootPem });
}
