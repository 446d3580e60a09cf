import {
  assembleCrl,
  createTrustStore,
  crlIssuerFromCertificate,
  crlToBeSigned,
  parseCertificate,
  type ClientVerification,
  type CrlIssuer,
  type CrlToBeSigned,
  type GeneratedCrl,
  type ParsedCertificate,
  type RevokedCertificate,
  type TrustAnchor,
  type TrustStore,
  verifyClientCertificate,
  type RecordVerifier,
  type VerifyOptions,
} from '@am/crypto';
import { UnavailableError } from '@am/model';
import { IgnoredRecords, scanPrefix, withDeadline, type KeyLayout } from '@am/store';
import type { Etcd3, Watcher } from 'etcd3';
import type { z } from 'zod';
import { PkiLayout } from './layout';
import { AnchorRecord, CaRecord, CrlStateRecord, PinnedRecord, RevocationRecord } from './records';

/** What a change touched, for listeners that only care about some of it. */
export type PkiChange = 'ca' | 'crl' | 'revoked' | 'anchors' | 'pinned';

export interface LoadedCa {
  record: CaRecord;
  issuing: ParsedCertificate;
  root: ParsedCertificate;
  /** Issuing CA then root, PEM. */
  chainPem: string;
  crlIssuer: CrlIssuer;
}

export interface PkiViewOptions {
  /** pki's record key: a CA, anchor or pin record it did not sign is not trusted. */
  recordKey: RecordVerifier;
  /** Where records that are not trusted are reported (shared with the service's other views). */
  ignored?: IgnoredRecords;
  onError?: (err: Error) => void;
  /** How long `atLeast` waits before failing as unavailable. */
  consistencyTimeoutMs?: number;
  /** Keys per page when reading the snapshot (a 100k-entry revocation list exceeds one response). */
  pageSize?: number;
}

interface Entry {
  key: string;
  value: string;
  modRevision: number;
}

/**
 * The live trust state of the PKI, kept current from etcd: a snapshot of `<prefix>pki/live/` at
 * revision R, then a watch from R+1. It holds the CA chain, the revocations, the current CRL's
 * state, external trust anchors and pinned certificates — public data only (the sealed CA keys are
 * elsewhere). Every pki replica uses it to serve the CRL, and a verifier (the gateway's mTLS
 * listener) uses `verify()`: a revocation committed in etcd takes effect here as soon as the watch
 * delivers it (milliseconds), with no restart and no polling.
 *
 * Nothing is trusted because it is in etcd. The CA chain, trust anchors and pins count only when
 * signed with pki's record key. Revocations are covered by the CA's own signature: the stored CRL
 * is signed over exactly the revocations in force, so at every (re)load the view rebuilds it and
 * checks that signature; if a revocation was removed (or one added) behind the pki service's back,
 * every certificate of our CA is refused until the record is restored. While running, a deleted
 * revocation stays in force. Whatever is not trusted is reported to `ignored`.
 */
export class PkiView {
  readonly layout: PkiLayout;
  /** The etcd revision this view reflects. */
  revision = 0;
  ca?: LoadedCa;
  crlState?: { record: CrlStateRecord; modRevision: number };
  readonly revocations = new Map<string, RevocationRecord>();
  readonly anchors = new Map<string, AnchorRecord>();
  readonly pinned = new Map<string, PinnedRecord>();

  private watcher?: Watcher;
  private reloading?: Promise<void>;
  private trustCache?: { version: number; store: TrustStore };
  private trustVersion = 0;
  private crlCache?: { modRevision: number; crl: GeneratedCrl };
  private readonly listeners = new Set<(revision: number, changes: ReadonlySet<PkiChange>) => void>();
  private waiters: { revision: number; resolve: () => void }[] = [];
  private stopped = false;
  private readonly ignored: IgnoredRecords;
  /** Set when the revocations read from etcd are not the ones the stored CRL was signed over. */
  private revocationsBroken?: string;

  constructor(
    private readonly etcd: Etcd3,
    keys: KeyLayout | string,
    private readonly options: PkiViewOptions,
  ) {
    this.layout = new PkiLayout(keys);
    this.ignored = options.ignored ?? new IgnoredRecords();
  }

  /** Why the revocations cannot be trusted, if they cannot: then nothing our CA issued verifies, and no CRL is signed. */
  get revocationProblem(): string | undefined {
    return this.revocationsBroken;
  }

  async start(): Promise<void> {
    await this.reload();
    await this.watchFrom(this.revision + 1);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watcher?.cancel();
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  /** Called after every applied change with the kinds of state it touched. Returns an unsubscribe function. */
  onChange(listener: (revision: number, changes: ReadonlySet<PkiChange>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits (bounded) until the view reflects at least `revision`, e.g. a write to `live/` just committed. */
  async atLeast(revision: number): Promise<void> {
    if (this.revision >= revision) return;
    const timeoutMs = this.options.consistencyTimeoutMs ?? 2000;
    await withDeadline(
      new Promise<void>((resolve) => this.waiters.push({ revision, resolve })),
      timeoutMs,
      () => new UnavailableError(`the pki view did not reach revision ${revision} within ${timeoutMs} ms`),
    );
  }

  // ---- queries ----------------------------------------------------------------------------------

  /** Failing closed: with the revocations in doubt, every certificate of our CA counts as revoked. */
  isRevoked(serialHex: string): boolean {
    return this.revocationsBroken !== undefined || this.revocations.has(serialHex);
  }

  /** For `verifyClientCertificate`: our revocations apply to certificates our issuing CA signed. */
  readonly revokedLookup = (serialHex: string, issuer: ParsedCertificate): boolean =>
    !!this.ca && issuer.fingerprint256 === this.ca.issuing.fingerprint256 && this.isRevoked(serialHex);

  /** Our issuing CA (SAN URI mapping) + external anchors (their rules) + pinned fingerprints; cached until one changes. */
  trustStore(): TrustStore {
    if (this.trustCache?.version === this.trustVersion) return this.trustCache.store;
    const anchors: TrustAnchor[] = [];
    const add = (input: Parameters<typeof createTrustStore>[0]['anchors'][number]) => {
      try {
        anchors.push(...createTrustStore({ anchors: [input] }).anchors);
      } catch (err) {
        this.options.onError?.(new Error(`ignoring trust anchor ${input.label}: ${(err as Error).message}`));
      }
    };
    if (this.ca) add({ certificate: this.ca.issuing.der, label: 'am-issuing-ca' });
    for (const a of this.anchors.values()) add({ certificate: a.certificatePem, mapping: a.mapping, label: `external:${a.fingerprint.slice(0, 16)}` });
    const pinned = new Map<string, string>();
    for (const p of this.pinned.values()) pinned.set(p.fingerprint, p.principal);
    const store: TrustStore = { anchors, pinned };
    this.trustCache = { version: this.trustVersion, store };
    return store;
  }

  /** A presented client certificate → principal, with the live revocations enforced. */
  verify(presented: string | Buffer, options: Omit<VerifyOptions, 'revoked'> = {}): ClientVerification {
    return verifyClientCertificate(this.trustStore(), presented, { ...options, revoked: this.revokedLookup });
  }

  /** Revocations on a CRL issued at `thisUpdate`: not yet expired, sorted by serial (a deterministic order). */
  crlEntries(thisUpdate: Date, extra?: RevocationRecord): RevokedCertificate[] {
    const records = [...this.revocations.values()];
    if (extra && !this.revocations.has(extra.serial)) records.push(extra);
    const at = thisUpdate.getTime();
    return records
      .filter((r) => Date.parse(r.notAfter) > at)
      .sort((a, b) => a.serial.length - b.serial.length || (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0))
      .map((r) => ({ serialHex: r.serial, revokedAt: new Date(r.revokedAt), ...(r.reason === 'unspecified' ? {} : { reason: r.reason }) }));
  }

  /** The TBSCertList for a CRL state with the revocations of this view (plus `extra`, about to be written). */
  crlToBeSigned(state: Pick<CrlStateRecord, 'number' | 'thisUpdate' | 'nextUpdate'>, extra?: RevocationRecord): CrlToBeSigned {
    if (!this.ca) throw new UnavailableError('no certificate authority yet');
    const thisUpdate = new Date(state.thisUpdate);
    return crlToBeSigned(this.ca.crlIssuer, this.crlEntries(thisUpdate, extra), { crlNumber: BigInt(state.number), thisUpdate, nextUpdate: new Date(state.nextUpdate) });
  }

  /** The current CRL, rebuilt from the stored state and signature (cached per state). */
  crl(): GeneratedCrl | undefined {
    const state = this.crlState;
    if (!state || !this.ca || state.record.caId !== this.ca.record.id) return undefined;
    if (this.crlCache?.modRevision === state.modRevision) return this.crlCache.crl;
    const crl = assembleCrl(this.ca.crlIssuer, this.crlToBeSigned(state.record), Buffer.from(state.record.signature, 'base64'));
    this.crlCache = { modRevision: state.modRevision, crl };
    return crl;
  }

  // ---- loading ----------------------------------------------------------------------------------

  private async watchFrom(revision: number): Promise<void> {
    const watcher = await this.etcd.watch().prefix(this.layout.live).startRevision(String(revision)).create();
    if (this.stopped) {
      await watcher.cancel();
      return;
    }
    this.watcher = watcher;
    watcher.on('data', (res) => {
      const changes = new Set<PkiChange>();
      for (const e of res.events) {
        const entry = { key: e.kv.key.toString(), value: e.kv.value.toString(), modRevision: Number(e.kv.mod_revision) };
        const kind = e.type === 'Delete' ? this.remove(entry.key) : this.put(entry);
        if (kind) changes.add(kind);
      }
      // Revocations in doubt are trusted again once the records are restored to what the CRL covers.
      if (this.revocationsBroken && (changes.has('revoked') || changes.has('crl') || changes.has('ca'))) this.checkRevocations();
      this.advance(Math.max(this.revision, Number(res.header.revision)), changes);
    });
    // A compacted start revision means changes we never saw are gone: rebuild from a snapshot.
    watcher.on('error', (err) => {
      this.options.onError?.(err);
      void this.reloadOnce();
    });
  }

  private reloadOnce(): Promise<void> {
    this.reloading ??= this.reload()
      .catch((err: Error) => this.options.onError?.(err))
      .finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /** Reads all of `live/` at one revision, page by page, and replaces the state. */
  private async reload(): Promise<void> {
    let revision = 0;
    const entries: Entry[] = [];
    const pages = scanPrefix(this.etcd, this.layout.live, { pageSize: this.options.pageSize ?? 5000, revision: 'first', onPage: (r) => (revision = r) });
    for await (const kv of pages) entries.push(kv);
    this.ca = undefined;
    this.crlState = undefined;
    this.revocations.clear();
    this.anchors.clear();
    this.pinned.clear();
    this.ignored.clearPrefix(this.layout.live);
    for (const e of entries) this.put(e);
    this.checkRevocations();
    this.advance(Math.max(this.revision, revision), new Set<PkiChange>(['ca', 'crl', 'revoked', 'anchors', 'pinned']));
  }

  /**
   * After a full read: the stored CRL (signed by our CA) must be exactly what the revocations read
   * rebuild, else some were removed or added in etcd directly, and which is unknowable. A CA
   * always has a CRL (both are written in one transaction).
   */
  private checkRevocations(): void {
    let problem: string | undefined;
    if (this.ca) {
      try {
        if (!this.crl()) problem = 'the CA has no CRL of its own in etcd';
      } catch {
        problem = 'the revocations in etcd are not those the CRL was signed over (one was deleted or added outside the pki service)';
      }
    }
    this.revocationsBroken = problem;
    if (problem) this.ignored.ignore(this.layout.crl, `${problem}; every certificate of this CA is refused until the revocation records are restored`);
    else this.ignored.clear(this.layout.crl);
  }

  private advance(revision: number, changes: ReadonlySet<PkiChange>): void {
    this.revision = revision;
    if (changes.has('ca') || changes.has('anchors') || changes.has('pinned')) this.trustVersion++;
    const due = this.waiters.filter((w) => w.revision <= revision);
    this.waiters = this.waiters.filter((w) => w.revision > revision);
    for (const w of due) w.resolve();
    if (changes.size) for (const l of this.listeners) l(revision, changes);
  }

  /**
   * A malformed record, or one that must be signed and is not, is skipped and reported: failing
   * closed (an unknown anchor trusts nothing).
   */
  private decode<T extends z.ZodType>(schema: T, entry: Entry, signed: boolean): z.output<T> | undefined {
    try {
      const value: unknown = JSON.parse(entry.value);
      const record = signed ? this.options.recordKey.open(entry.key, value) : value;
      if (record === undefined) {
        this.ignored.ignore(entry.key, 'not signed with the pki record key');
        return undefined;
      }
      const parsed = schema.parse(record);
      this.ignored.clear(entry.key);
      return parsed;
    } catch (err) {
      this.ignored.ignore(entry.key, `malformed: ${(err as Error).message}`);
      return undefined;
    }
  }

  private put(entry: Entry): PkiChange | undefined {
    const L = this.layout;
    const { key } = entry;
    // A trusted record replaced by one that is not trusted is gone: the old one was replaced.
    if (key === L.ca) {
      this.ca = this.loadCa(entry);
      return 'ca';
    }
    if (key === L.crl) {
      const record = this.decode(CrlStateRecord, entry, false); // signed by the CA itself
      if (record) this.crlState = { record, modRevision: entry.modRevision };
      return record ? 'crl' : undefined;
    }
    if (key.startsWith(L.revokedPrefix)) {
      // Covered by the CRL's signature (checkRevocations); an unreadable one keeps what was in force.
      const record = this.decode(RevocationRecord, entry, false);
      if (record) this.revocations.set(key.slice(L.revokedPrefix.length), record);
      return record ? 'revoked' : undefined;
    }
    if (key.startsWith(L.anchorsPrefix)) return this.apply(this.anchors, key.slice(L.anchorsPrefix.length), this.decode(AnchorRecord, entry, true), 'anchors');
    if (key.startsWith(L.pinnedPrefix)) return this.apply(this.pinned, key.slice(L.pinnedPrefix.length), this.decode(PinnedRecord, entry, true), 'pinned');
    return undefined;
  }

  private apply<R>(map: Map<string, R>, id: string, record: R | undefined, kind: PkiChange): PkiChange | undefined {
    if (record) map.set(id, record);
    else if (!map.delete(id)) return undefined;
    return kind;
  }

  private loadCa(entry: Entry): LoadedCa | undefined {
    const record = this.decode(CaRecord, entry, true);
    if (!record) return undefined;
    try {
      const issuing = parseCertificate(record.issuingPem);
      const root = parseCertificate(record.rootPem);
      return { record, issuing, root, chainPem: issuing.pem + root.pem, crlIssuer: crlIssuerFromCertificate(issuing) };
    } catch (err) {
      this.ignored.ignore(entry.key, `unreadable CA certificates: ${(err as Error).message}`);
      return undefined;
    }
  }

  private remove(key: string): PkiChange | undefined {
    const L = this.layout;
    // Only the pki service writes live/, and it never deletes a revocation: one that disappears
    // was removed behind its back, and stays in force here.
    if (key.startsWith(L.revokedPrefix)) {
      if (this.revocations.has(key.slice(L.revokedPrefix.length))) this.ignored.ignore(key, 'deleted outside the pki service; the revocation stays in force');
      return undefined;
    }
    this.ignored.clear(key);
    if (key === L.ca) {
      this.ca = undefined;
      return 'ca';
    }
    if (key === L.crl) {
      this.crlState = undefined;
      return 'crl';
    }
    if (key.startsWith(L.anchorsPrefix)) return this.anchors.delete(key.slice(L.anchorsPrefix.length)) ? 'anchors' : undefined;
    if (key.startsWith(L.pinnedPrefix)) return this.pinned.delete(key.slice(L.pinnedPrefix.length)) ? 'pinned' : undefined;
    return undefined;
  }
}
