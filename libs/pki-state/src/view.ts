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
  type VerifyOptions,
} from '@am/crypto';
import { UnavailableError } from '@am/model';
import { withDeadline, type KeyLayout } from '@am/store';
import { Range, type Etcd3, type Watcher } from 'etcd3';
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

  constructor(
    private readonly etcd: Etcd3,
    keys: KeyLayout | string,
    private readonly options: PkiViewOptions = {},
  ) {
    this.layout = new PkiLayout(keys);
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

  isRevoked(serialHex: string): boolean {
    return this.revocations.has(serialHex);
  }

  /** For `verifyClientCertificate`: our revocations apply to certificates our issuing CA signed. */
  readonly revokedLookup = (serialHex: string, issuer: ParsedCertificate): boolean =>
    !!this.ca && issuer.fingerprint256 === this.ca.issuing.fingerprint256 && this.revocations.has(serialHex);

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
    const pageSize = this.options.pageSize ?? 5000;
    const end = Range.prefix(this.layout.live).end;
    let start = Buffer.from(this.layout.live);
    let revision: number | undefined;
    const entries: Entry[] = [];
    for (;;) {
      let query = this.etcd.getAll().inRange(new Range(start, end)).limit(pageSize);
      if (revision !== undefined) query = query.revision(revision);
      const page = await query.exec();
      revision ??= Number(page.header!.revision);
      for (const kv of page.kvs) entries.push({ key: kv.key.toString(), value: kv.value.toString(), modRevision: Number(kv.mod_revision) });
      if (!page.more || page.kvs.length === 0) break;
      start = Buffer.concat([page.kvs[page.kvs.length - 1].key, Buffer.from([0])]);
    }
    this.ca = undefined;
    this.crlState = undefined;
    this.revocations.clear();
    this.anchors.clear();
    this.pinned.clear();
    for (const e of entries) this.put(e);
    this.advance(Math.max(this.revision, revision), new Set<PkiChange>(['ca', 'crl', 'revoked', 'anchors', 'pinned']));
  }

  private advance(revision: number, changes: ReadonlySet<PkiChange>): void {
    this.revision = revision;
    if (changes.has('ca') || changes.has('anchors') || changes.has('pinned')) this.trustVersion++;
    const due = this.waiters.filter((w) => w.revision <= revision);
    this.waiters = this.waiters.filter((w) => w.revision > revision);
    for (const w of due) w.resolve();
    if (changes.size) for (const l of this.listeners) l(revision, changes);
  }

  /** A malformed record is skipped and reported: failing closed (an unknown anchor trusts nothing). */
  private decode<T extends z.ZodType>(schema: T, entry: Entry): z.output<T> | undefined {
    try {
      return schema.parse(JSON.parse(entry.value));
    } catch (err) {
      this.options.onError?.(new Error(`ignoring a malformed pki record ${entry.key}: ${(err as Error).message}`));
      return undefined;
    }
  }

  private put(entry: Entry): PkiChange | undefined {
    const L = this.layout;
    const { key } = entry;
    if (key === L.ca) {
      const record = this.decode(CaRecord, entry);
      if (!record) return undefined;
      try {
        const issuing = parseCertificate(record.issuingPem);
        const root = parseCertificate(record.rootPem);
        this.ca = { record, issuing, root, chainPem: issuing.pem + root.pem, crlIssuer: crlIssuerFromCertificate(issuing) };
      } catch (err) {
        this.options.onError?.(new Error(`ignoring an unreadable CA record: ${(err as Error).message}`));
        return undefined;
      }
      return 'ca';
    }
    if (key === L.crl) {
      const record = this.decode(CrlStateRecord, entry);
      if (record) this.crlState = { record, modRevision: entry.modRevision };
      return record ? 'crl' : undefined;
    }
    if (key.startsWith(L.revokedPrefix)) {
      const record = this.decode(RevocationRecord, entry);
      if (record) this.revocations.set(key.slice(L.revokedPrefix.length), record);
      return record ? 'revoked' : undefined;
    }
    if (key.startsWith(L.anchorsPrefix)) {
      const record = this.decode(AnchorRecord, entry);
      if (record) this.anchors.set(key.slice(L.anchorsPrefix.length), record);
      return record ? 'anchors' : undefined;
    }
    if (key.startsWith(L.pinnedPrefix)) {
      const record = this.decode(PinnedRecord, entry);
      if (record) this.pinned.set(key.slice(L.pinnedPrefix.length), record);
      return record ? 'pinned' : undefined;
    }
    return undefined;
  }

  private remove(key: string): PkiChange | undefined {
    const L = this.layout;
    if (key === L.ca) {
      this.ca = undefined;
      return 'ca';
    }
    if (key === L.crl) {
      this.crlState = undefined;
      return 'crl';
    }
    if (key.startsWith(L.revokedPrefix)) return this.revocations.delete(key.slice(L.revokedPrefix.length)) ? 'revoked' : undefined;
    if (key.startsWith(L.anchorsPrefix)) return this.anchors.delete(key.slice(L.anchorsPrefix.length)) ? 'anchors' : undefined;
    if (key.startsWith(L.pinnedPrefix)) return this.pinned.delete(key.slice(L.pinnedPrefix.length)) ? 'pinned' : undefined;
    return undefined;
  }
}
