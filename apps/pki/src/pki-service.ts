import {
  CRL_PART_BYTES,
  type caContract,
  type crlContract,
  GATEWAY_TLS_PRINCIPAL,
  type gatewayServerCertificateContract,
  type issueCertificateContract,
  type MappingRule,
  type PinnedCertificateView,
  type PkiEventView,
  type PkiKeyType,
  type ReplyOf,
  type revokeContract,
  type signCsrContract,
  type TrustAnchorView,
} from '@am/bus';
import {
  checkMappingRule,
  createTrustStore,
  formatName,
  isSignedBy,
  issueWithGeneratedKey,
  MasterKeyError,
  normalizeFingerprint,
  normalizeSerialHex,
  parseCertificate,
  signCrl,
  signCsr,
  verifyClientCertificate,
  X509Error,
  X509InputError,
  type CertificateAuthority,
  type IssuancePolicy,
  type IssuedCertificate,
  type MasterKey,
  type RecordSigner,
} from '@am/crypto';
import { AlreadyExistsError, FailedPreconditionError, InternalError, InvalidArgumentError, isAmError, NotFoundError, UnavailableError } from '@am/model';
import {
  AnchorRecord,
  CertificateRecord,
  PinnedRecord,
  type CrlStateRecord,
  type PkiView,
  type RevocationRecord,
  type StoredPkiEvent,
} from '@am/pki-state';
import type { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { PkiAuthorization } from './authorization';
import { createCa, KEY_SPECS, loadIssuingCa } from './ca-store';
import { newEventId, wholeSecondsIso } from './ids';

export interface PkiServiceSettings {
  defaultKeyType: PkiKeyType;
  organization?: string;
  certValidityMs: number;
  certMaxValidityMs: number;
  crlValidityMs: number;
  /** Names only the gateway's certificate carries (AM_PKI_RESERVED_NAMES, `DNS:`/`IP:` entries). */
  reservedNames: readonly string[];
}

export interface PkiServiceDeps {
  etcd: Etcd3;
  view: PkiView;
  masterKey: MasterKey;
  /** Signs the live records verifiers trust (CA chain, anchors, pins); derived from the master key. */
  records: RecordSigner;
  auth: PkiAuthorization;
  /** Publishes a committed event on NATS (`am.events.pki.<kind>`); failures are logged, not thrown. */
  publish: (event: PkiEventView) => void;
  log: Logger;
  settings: PkiServiceSettings;
}

type Req<C> = z.output<C extends { request: infer R extends z.ZodType } ? R : never>;

/** How many times a revocation retries after losing the CRL compare to a concurrent one. */
const REVOKE_ATTEMPTS = 8;
const MAX_PINNED_LISTED = 1000;

/**
 * The pki service's operations. State changes are etcd transactions that write the state and its
 * event together (compare-guarded), then the event is published on NATS; reads of live state
 * (chain, CRL, trust store) come from the PkiView projection.
 */
export class PkiService {
  private authority?: { caId: string; ca: CertificateAuthority };
  private loadingAuthority?: Promise<CertificateAuthority>;
  readonly policy: IssuancePolicy;

  constructor(private readonly deps: PkiServiceDeps) {
    const { certValidityMs, certMaxValidityMs } = deps.settings;
    const max = Math.floor(certMaxValidityMs / 1000);
    this.policy = { defaultValiditySeconds: Math.min(Math.floor(certValidityMs / 1000), max), maxValiditySeconds: max, backdateSeconds: 60 };
  }

  private get view(): PkiView {
    return this.deps.view;
  }
  private get etcd(): Etcd3 {
    return this.deps.etcd;
  }

  // ---- certificate authority --------------------------------------------------------------------

  /** On start: create the CA unless one exists (another replica may win the race; then use its CA). */
  async ensureCa(): Promise<void> {
    if (this.view.ca) return;
    try {
      const { revision } = await this.createCa(this.deps.settings.defaultKeyType, 'am://workload/pki');
      await this.view.atLeast(revision);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      await this.view.atLeast(Number((await this.etcd.get(this.view.layout.ca).exec()).header!.revision));
    }
    await this.issuingCa();
  }

  async initCa(credential: string, keyType?: PkiKeyType): Promise<{ chain: string; keyType: PkiKeyType; revision: number }> {
    await this.deps.auth.isAdminOfAll(credential, ['am://'], 'creating the certificate authority');
    if (this.view.ca) throw new AlreadyExistsError('a certificate authority already exists');
    const caller = await this.deps.auth.caller(credential);
    const { revision } = await this.createCa(keyType ?? this.deps.settings.defaultKeyType, caller);
    await this.view.atLeast(revision);
    return { chain: this.view.ca!.chainPem, keyType: this.view.ca!.record.keyType, revision };
  }

  private async createCa(keyType: PkiKeyType, actor: string): Promise<{ revision: number }> {
    const { revision, event } = await createCa(this.etcd, this.view.layout, this.deps.masterKey, this.deps.records, {
      keyType,
      organization: this.deps.settings.organization,
      actor,
      crlValidityMs: this.deps.settings.crlValidityMs,
    });
    this.emit(event, revision);
    this.deps.log.info({ keyType, revision }, 'certificate authority created');
    return { revision };
  }

  caChain(): ReplyOf<typeof caContract> {
    const ca = this.requireCa();
    return { chain: ca.chainPem, issuing: ca.issuing.pem, root: ca.root.pem, keyType: ca.record.keyType, revision: this.view.revision };
  }

  private requireCa() {
    const ca = this.view.ca;
    if (!ca) throw new FailedPreconditionError('there is no certificate authority yet; create it with `am pki init`');
    return ca;
  }

  /** The issuing CA with its key, unsealed once per CA (single flight). */
  async issuingCa(): Promise<CertificateAuthority> {
    const record = this.requireCa().record;
    if (this.authority?.caId === record.id) return this.authority.ca;
    this.loadingAuthority ??= loadIssuingCa(this.etcd, this.view.layout, this.deps.masterKey, record)
      .then((ca) => {
        this.authority = { caId: record.id, ca };
        return ca;
      })
      .catch((err: unknown) => {
        if (err instanceof MasterKeyError) throw new InternalError(`cannot unseal the CA key: ${err.message}`);
        throw err;
      })
      .finally(() => (this.loadingAuthority = undefined));
    return this.loadingAuthority;
  }

  // ---- certificates -----------------------------------------------------------------------------

  async signCsr(req: Req<typeof signCsrContract>): Promise<ReplyOf<typeof signCsrContract>> {
    const { caller, principal } = await this.mayObtainCertificate(req);
    const ca = await this.issuingCa();
    const request = this.leafRequest(principal, req);
    const issued = x509(() => signCsr(ca, req.csr, request, this.policy));
    const revision = await this.recordIssuance(issued, request.profile, caller);
    return this.issuedView(issued, revision);
  }

  async issue(req: Req<typeof issueCertificateContract>): Promise<ReplyOf<typeof issueCertificateContract>> {
    const { caller, principal } = await this.mayObtainCertificate(req);
    const ca = await this.issuingCa();
    const request = this.leafRequest(principal, req);
    const issued = x509(() => issueWithGeneratedKey(ca, request, { key: KEY_SPECS[req.keyType], pkcs12Password: req.pkcs12Password }, this.policy));
    const revision = await this.recordIssuance(issued, request.profile, caller);
    return {
      ...this.issuedView(issued, revision),
      privateKey: issued.privateKeyPem,
      ...(issued.pkcs12 ? { pkcs12: issued.pkcs12.toString('base64') } : {}),
    };
  }

  /** Who may have a certificate for the principal, and the names in it, is policy's decision (the tree's grants). */
  private mayObtainCertificate(req: { credential: string; principal: string; dns?: string[]; ip?: string[] }) {
    return this.deps.auth.mayObtainCertificateFor(req.credential, { ...req, reserved: this.deps.settings.reservedNames });
  }

  /**
   * The gateway's TLS server certificate from its CSR (authorized by the NATS account; see the
   * contract). The only way to a certificate with a reserved name (AM_PKI_RESERVED_NAMES).
   */
  async gatewayCertificate(req: Req<typeof gatewayServerCertificateContract>): Promise<ReplyOf<typeof gatewayServerCertificateContract>> {
    if (!req.dns?.length && !req.ip?.length) throw new InvalidArgumentError('a server certificate needs at least one DNS name or IP address');
    const ca = await this.issuingCa();
    const request = this.leafRequest(GATEWAY_TLS_PRINCIPAL, req);
    const issued = x509(() => signCsr(ca, req.csr, request, this.policy));
    const revision = await this.recordIssuance(issued, 'server', GATEWAY_TLS_PRINCIPAL);
    return this.issuedView(issued, revision);
  }

  /** The stated serverAuth rule: DNS/IP names make it a server certificate (workloads only; libs/crypto issue.ts). */
  private leafRequest(principal: string, req: { dns?: string[]; ip?: string[]; validitySeconds?: number }) {
    const server = !!(req.dns?.length || req.ip?.length);
    return {
      principal,
      profile: server ? ('server' as const) : ('client' as const),
      dnsNames: req.dns ?? [],
      ipAddresses: req.ip ?? [],
      validitySeconds: req.validitySeconds,
    };
  }

  private issuedView(issued: IssuedCertificate, revision: number): ReplyOf<typeof signCsrContract> {
    return {
      certificate: issued.pem,
      chain: issued.chainPem,
      serial: issued.serialHex,
      principal: issued.principal,
      notBefore: issued.notBefore.toISOString(),
      notAfter: issued.notAfter.toISOString(),
      fingerprint: issued.fingerprint256,
      revision,
    };
  }

  /** `certs/<serial>` and the `issued` event in one transaction. */
  private async recordIssuance(issued: IssuedCertificate, profile: 'client' | 'server', actor: string): Promise<number> {
    const L = this.view.layout;
    const caId = this.authority!.caId;
    const time = new Date().toISOString();
    const record: CertificateRecord = {
      serial: issued.serialHex,
      principal: issued.principal,
      profile,
      notBefore: issued.notBefore.toISOString(),
      notAfter: issued.notAfter.toISOString(),
      fingerprint: issued.fingerprint256,
      issuedBy: actor,
      issuedAt: time,
      caId,
      certificatePem: issued.pem,
    };
    const event: StoredPkiEvent = {
      id: newEventId(),
      time,
      actor,
      kind: 'issued',
      principal: issued.principal,
      serial: issued.serialHex,
      fingerprint: issued.fingerprint256,
      notAfter: record.notAfter,
      profile,
    };
    const result = await this.etcd
      .if(L.cert(issued.serialHex), 'Create', '==', 0)
      .then(this.etcd.put(L.cert(issued.serialHex)).value(JSON.stringify(record)), this.etcd.put(L.event(event.id)).value(JSON.stringify(event)))
      .commit();
    // 128 random bits: a collision means a broken random source, never chance.
    if (!result.succeeded) throw new InternalError(`serial ${issued.serialHex} was issued before`);
    const revision = Number(result.header!.revision);
    this.emit(event, revision);
    return revision;
  }

  // ---- revocation and CRL -----------------------------------------------------------------------

  async revoke(req: Req<typeof revokeContract>): Promise<ReplyOf<typeof revokeContract>> {
    const serial = req.certificate !== undefined ? this.serialOfOurs(req.certificate) : x509(() => normalizeSerialHex(req.serial!));
    const stored = await this.etcd.get(this.view.layout.cert(serial)).string();
    if (!stored) throw new NotFoundError(`certificate ${serial} not found`);
    const cert = CertificateRecord.parse(JSON.parse(stored));
    const actor = await this.deps.auth.isSubjectOrAdmin(req.credential, cert.principal, 'revoking a certificate');
    const reason = req.reason ?? 'unspecified';
    const L = this.view.layout;

    for (let attempt = 1; ; attempt++) {
      if (this.view.revocations.has(serial)) throw new AlreadyExistsError(`certificate ${serial} is already revoked`);
      const state = this.currentCrlState();
      const ca = await this.issuingCa();
      const now = new Date();
      const record: RevocationRecord = { serial, principal: cert.principal, revokedAt: wholeSecondsIso(now), reason, revokedBy: actor, notAfter: cert.notAfter };
      const next = this.nextCrl(state.record, now, ca, record);
      const event: StoredPkiEvent = { id: newEventId(), time: now.toISOString(), actor, kind: 'revoked', principal: cert.principal, serial, reason, crlNumber: next.number };
      const result = await this.etcd
        .if(L.crl, 'Mod', '==', state.modRevision)
        .and(L.revoked(serial), 'Create', '==', 0)
        .then(
          this.etcd.put(L.revoked(serial)).value(JSON.stringify(record)),
          this.etcd.put(L.crl).value(JSON.stringify(next)),
          this.etcd.put(L.event(event.id)).value(JSON.stringify(event)),
        )
        .commit();
      const revision = Number(result.header!.revision);
      if (result.succeeded) {
        // Read-your-writes: this replica's CRL includes the revocation before we answer.
        await this.view.atLeast(revision);
        this.emit(event, revision);
        this.deps.log.info({ serial, principal: cert.principal, reason, crlNumber: next.number }, 'certificate revoked');
        return { serial, principal: cert.principal, revokedAt: record.revokedAt, reason, crlNumber: next.number, revision };
      }
      // Another revocation (or CRL refresh) committed first: catch up and sign again.
      await this.view.atLeast(revision);
      if (attempt >= REVOKE_ATTEMPTS) throw new UnavailableError('too many concurrent revocations; try again');
    }
  }

  /** The serial of a certificate our issuing CA signed; anything else is invalid-argument. */
  private serialOfOurs(pem: string): string {
    const ca = this.requireCa();
    const cert = x509(() => parseCertificate(pem));
    if (!cert.issuerDer.equals(ca.issuing.subjectDer) || !isSignedBy(cert, ca.issuing.publicKey, ca.issuing.publicKeyInfo.type)) {
      throw new InvalidArgumentError('the certificate was not issued by this certificate authority');
    }
    return cert.serialHex;
  }

  /** Signing a CRL over revocations that lost one would make its removal permanent: refused while they are in doubt. */
  private currentCrlState() {
    const problem = this.view.revocationProblem;
    if (problem) throw new UnavailableError(`no CRL can be signed: ${problem}; restore the revocation records in etcd`);
    const state = this.view.crlState;
    if (!state || !this.view.ca || state.record.caId !== this.view.ca.record.id) throw new UnavailableError('the CRL state is not loaded yet');
    return state;
  }

  /** The next CRL state: number + 1, issued now, signed over this view's revocations (+ the one being written). */
  private nextCrl(previous: CrlStateRecord, now: Date, ca: CertificateAuthority, extra?: RevocationRecord): CrlStateRecord {
    const thisUpdate = wholeSecondsIso(now);
    const fields = {
      number: (BigInt(previous.number) + 1n).toString(),
      thisUpdate,
      nextUpdate: new Date(Date.parse(thisUpdate) + this.deps.settings.crlValidityMs).toISOString(),
    };
    const signature = signCrl(ca, this.view.crlToBeSigned(fields, extra));
    return { caId: previous.caId, ...fields, signature: signature.toString('base64') };
  }

  /** Issues a fresh CRL once the current one is past half its life. Returns whether it wrote one. */
  async refreshCrlIfDue(now = new Date()): Promise<boolean> {
    if (this.view.revocationProblem) return false; // reported by the view; see currentCrlState
    const state = this.view.crlState;
    if (!state || !this.view.ca || state.record.caId !== this.view.ca.record.id) return false;
    if (now.getTime() < Date.parse(state.record.nextUpdate) - this.deps.settings.crlValidityMs / 2) return false;
    const ca = await this.issuingCa();
    const next = this.nextCrl(state.record, now, ca);
    const event: StoredPkiEvent = { id: newEventId(), time: now.toISOString(), actor: 'am://workload/pki', kind: 'crl-refreshed', crlNumber: next.number };
    const L = this.view.layout;
    const result = await this.etcd
      .if(L.crl, 'Mod', '==', state.modRevision)
      .then(this.etcd.put(L.crl).value(JSON.stringify(next)), this.etcd.put(L.event(event.id)).value(JSON.stringify(event)))
      .commit();
    if (!result.succeeded) return false; // another replica refreshed it, or a revocation did
    const revision = Number(result.header!.revision);
    await this.view.atLeast(revision);
    this.emit(event, revision);
    return true;
  }

  async crlPart(req: Req<typeof crlContract>): Promise<ReplyOf<typeof crlContract>> {
    let crl = this.currentCrl();
    if (req.crlNumber !== undefined && BigInt(req.crlNumber) > crl.crlNumber) {
      // Asked by a client that saw a newer CRL at another replica: let our watch catch up.
      await this.waitForCrl(BigInt(req.crlNumber), 1000);
      crl = this.currentCrl();
    }
    if (req.crlNumber !== undefined && BigInt(req.crlNumber) !== crl.crlNumber) {
      throw new FailedPreconditionError(`CRL ${req.crlNumber} has been superseded by CRL ${crl.crlNumber}; fetch it again from part 0`);
    }
    const parts = Math.max(1, Math.ceil(crl.der.length / CRL_PART_BYTES));
    if (req.part >= parts) throw new InvalidArgumentError(`CRL ${crl.crlNumber} has ${parts} part(s)`);
    const chunk = crl.der.subarray(req.part * CRL_PART_BYTES, (req.part + 1) * CRL_PART_BYTES);
    return {
      crlNumber: crl.crlNumber.toString(),
      thisUpdate: crl.thisUpdate.toISOString(),
      nextUpdate: crl.nextUpdate.toISOString(),
      entries: crl.entryCount,
      size: crl.der.length,
      parts,
      part: req.part,
      der: chunk.toString('base64'),
      ...(parts === 1 ? { pem: crl.pem } : {}),
      revision: this.view.revision,
    };
  }

  private currentCrl() {
    this.requireCa();
    try {
      const crl = this.view.crl();
      if (!crl) throw new UnavailableError('the CRL is not loaded yet');
      return crl;
    } catch (err) {
      if (err instanceof X509Error) throw new UnavailableError(`the CRL is being updated: ${err.message}`);
      throw err;
    }
  }

  private waitForCrl(number: bigint, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      const off = this.view.onChange(() => {
        if (this.view.crlState && BigInt(this.view.crlState.record.number) >= number) done();
      });
    });
  }

  // ---- trust store ------------------------------------------------------------------------------

  async trustAdd(req: { credential: string; certificate: string; mapping: MappingRule; label?: string }): Promise<{ anchor: z.input<typeof TrustAnchorView>; revision: number }> {
    const mapping = x509(() => checkMappingRule(req.mapping)) as MappingRule;
    const actor = await this.deps.auth.isAdminOfAll(req.credential, mappingArea(mapping), 'trusting an external CA');
    const cert = x509(() => parseCertificate(req.certificate));
    x509(() => createTrustStore({ anchors: [{ certificate: cert.der, mapping }] }));
    if (cert.notAfter <= new Date()) throw new InvalidArgumentError(`the CA certificate expired at ${cert.notAfter.toISOString()}`);
    const own = this.view.ca;
    if (own && (cert.fingerprint256 === own.issuing.fingerprint256 || cert.fingerprint256 === own.root.fingerprint256)) {
      throw new InvalidArgumentError('this is the access manager\'s own CA; it is trusted already');
    }
    const time = new Date().toISOString();
    const record: AnchorRecord = {
      fingerprint: cert.fingerprint256,
      label: req.label ?? (formatName(cert.subject) || cert.fingerprint256.slice(0, 16)),
      subject: formatName(cert.subject),
      certificatePem: cert.pem,
      mapping,
      notAfter: cert.notAfter.toISOString(),
      addedBy: actor,
      addedAt: time,
    };
    const event: StoredPkiEvent = { id: newEventId(), time, actor, kind: 'trust-added', fingerprint: cert.fingerprint256 };
    const L = this.view.layout;
    const result = await this.etcd
      .if(L.anchor(cert.fingerprint256), 'Create', '==', 0)
      .then(this.etcd.put(L.anchor(cert.fingerprint256)).value(this.deps.records.seal(L.anchor(cert.fingerprint256), record)), this.etcd.put(L.event(event.id)).value(JSON.stringify(event)))
      .commit();
    if (!result.succeeded) throw new AlreadyExistsError(`the CA ${cert.fingerprint256} is trusted already`);
    const revision = Number(result.header!.revision);
    await this.view.atLeast(revision);
    this.emit(event, revision);
    return { anchor: anchorView(record), revision };
  }

  async trustRemove(req: { credential: string; fingerprint: string }): Promise<{ revision: number }> {
    const fingerprint = x509(() => normalizeFingerprint(req.fingerprint));
    const L = this.view.layout;
    const got = await this.etcd.get(L.anchor(fingerprint)).exec();
    const kv = got.kvs[0];
    if (!kv) throw new NotFoundError(`no trusted CA with fingerprint ${fingerprint}`);
    const record = AnchorRecord.parse(JSON.parse(kv.value.toString()));
    const actor = await this.deps.auth.isAdminOfAll(req.credential, mappingArea(record.mapping), 'removing a trusted CA');
    return this.deleteWithEvent(L.anchor(fingerprint), Number(kv.mod_revision), { id: newEventId(), time: new Date().toISOString(), actor, kind: 'trust-removed', fingerprint });
  }

  async trustList(credential: string): Promise<{ anchors: z.input<typeof TrustAnchorView>[]; pinned: z.input<typeof PinnedCertificateView>[]; revision: number }> {
    await this.deps.auth.caller(credential);
    const revision = this.view.revision;
    const anchors = [...this.view.anchors.values()].map(anchorView);
    // Pinned certificates name principals: list only those the caller can see.
    const visible = new Map<string, boolean>();
    const pinned: z.input<typeof PinnedCertificateView>[] = [];
    for (const p of [...this.view.pinned.values()].slice(0, MAX_PINNED_LISTED)) {
      if (!visible.has(p.principal)) visible.set(p.principal, await this.deps.auth.mayView(credential, p.principal));
      if (visible.get(p.principal)) pinned.push(pinnedView(p));
    }
    return { anchors, pinned, revision };
  }

  async pin(req: { credential: string; principal: string; certificate?: string; fingerprint?: string }): Promise<{ pinned: z.input<typeof PinnedCertificateView>; revision: number }> {
    const { caller, principal } = await this.deps.auth.mayObtainFor(req.credential, req.principal);
    let details: Pick<PinnedRecord, 'fingerprint' | 'subject' | 'notAfter'>;
    if (req.certificate !== undefined) {
      const cert = x509(() => parseCertificate(req.certificate!));
      // The same leaf checks as at login (validity, EKU clientAuth, not a CA), so a useless pin is refused now.
      const check = verifyClientCertificate({ anchors: [], pinned: new Map([[cert.fingerprint256, principal]]) }, cert.der);
      if (!check.ok) throw new InvalidArgumentError(`the certificate cannot be used as a client certificate: ${check.message}`);
      details = { fingerprint: cert.fingerprint256, subject: formatName(cert.subject), notAfter: cert.notAfter.toISOString() };
    } else {
      details = { fingerprint: x509(() => normalizeFingerprint(req.fingerprint!)) };
    }
    const time = new Date().toISOString();
    const record: PinnedRecord = { ...details, principal, addedBy: caller, addedAt: time };
    const event: StoredPkiEvent = { id: newEventId(), time, actor: caller, kind: 'pinned', principal, fingerprint: record.fingerprint };
    const L = this.view.layout;
    const result = await this.etcd
      .if(L.pinned(record.fingerprint), 'Create', '==', 0)
      .then(this.etcd.put(L.pinned(record.fingerprint)).value(this.deps.records.seal(L.pinned(record.fingerprint), record)), this.etcd.put(L.event(event.id)).value(JSON.stringify(event)))
      .commit();
    if (!result.succeeded) throw new AlreadyExistsError(`the certificate ${record.fingerprint} is registered already`);
    const revision = Number(result.header!.revision);
    await this.view.atLeast(revision);
    this.emit(event, revision);
    return { pinned: pinnedView(record), revision };
  }

  async unpin(req: { credential: string; fingerprint: string }): Promise<{ revision: number }> {
    const fingerprint = x509(() => normalizeFingerprint(req.fingerprint));
    const L = this.view.layout;
    const kv = (await this.etcd.get(L.pinned(fingerprint)).exec()).kvs[0];
    if (!kv) throw new NotFoundError(`no registered certificate with fingerprint ${fingerprint}`);
    const record = PinnedRecord.parse(JSON.parse(kv.value.toString()));
    const actor = await this.deps.auth.isSubjectOrAdmin(req.credential, record.principal, 'removing a registered certificate');
    return this.deleteWithEvent(L.pinned(fingerprint), Number(kv.mod_revision), {
      id: newEventId(),
      time: new Date().toISOString(),
      actor,
      kind: 'unpinned',
      principal: record.principal,
      fingerprint,
    });
  }

  private async deleteWithEvent(key: string, modRevision: number, event: StoredPkiEvent): Promise<{ revision: number }> {
    const result = await this.etcd
      .if(key, 'Mod', '==', modRevision)
      .then(this.etcd.delete().key(key), this.etcd.put(this.view.layout.event(event.id)).value(JSON.stringify(event)))
      .commit();
    if (!result.succeeded) throw new NotFoundError(`${event.fingerprint} was removed or changed meanwhile`);
    const revision = Number(result.header!.revision);
    await this.view.atLeast(revision);
    this.emit(event, revision);
    return { revision };
  }

  // ---- events -----------------------------------------------------------------------------------

  private emit(event: StoredPkiEvent, seq: number): void {
    this.deps.publish({ ...event, seq });
  }
}

/** Runs X.509 code: refused input is invalid-argument, other X.509 failures failed-precondition. */
function x509<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isAmError(err)) throw err;
    if (err instanceof X509InputError) throw new InvalidArgumentError(err.message);
    if (err instanceof X509Error) throw new FailedPreconditionError(err.message);
    throw err;
  }
}

/**
 * The part of the tree an external CA may name principals in, on which trusting it needs ADMIN:
 * the SAN URI rule's allowed prefixes (default am://user and am://workload), or the fixed path of
 * a subject template before its first placeholder.
 */
export function mappingArea(rule: MappingRule): string[] {
  if (rule.kind === 'san-uri') return (rule.allowedPrefixes ?? ['am://user/', 'am://workload/']).map((p) => p.replace(/\/+$/, ''));
  const fixed: string[] = [];
  for (const component of rule.template.slice('am://'.length).split('/')) {
    if (component.includes('{')) break;
    fixed.push(component);
  }
  return [`am://${fixed.join('/')}`];
}

function anchorView(r: AnchorRecord): z.input<typeof TrustAnchorView> {
  return { fingerprint: r.fingerprint, subject: r.subject, label: r.label, certificate: r.certificatePem, mapping: r.mapping, notAfter: r.notAfter, addedBy: r.addedBy, addedAt: r.addedAt };
}

function pinnedView(r: PinnedRecord): z.input<typeof PinnedCertificateView> {
  return {
    fingerprint: r.fingerprint,
    principal: r.principal,
    ...(r.subject !== undefined ? { subject: r.subject } : {}),
    ...(r.notAfter !== undefined ? { notAfter: r.notAfter } : {}),
    addedBy: r.addedBy,
    addedAt: r.addedAt,
  };
}

