import {
  EXPIRED_KEY_GRACE_SEC,
  generateSigningKey,
  keyId,
  openSigningKey,
  sealSigningKey,
  selectSigningKey,
  RecordSigner,
  type MasterKey,
  type SigningKey,
  type VerificationKey,
  type VerificationKeyLookup,
} from '@am/crypto';
import { KeyCatchUp } from '@am/auth';
import { IgnoredRecords, type KeyLayout } from '@am/store';
import type { Etcd3, Watcher } from 'etcd3';
import type { Logger } from 'pino';
import { eventRecord, type IdentityEvent } from '../events';

/** A published key whose private half opened with our master key. */
interface KeyEntry {
  verification: VerificationKey;
  signing: SigningKey;
}

export interface SigningKeyStoreOptions {
  rotationPeriodSec: number;
  log: Logger;
  /** Unix milliseconds. */
  clock?: () => number;
  /** Called after a commit with the events it wrote (for NATS). */
  onCommitted?: (events: IdentityEvent[]) => void;
  /** Where key records that are not ours are reported. */
  ignored?: IgnoredRecords;
}

const MAX_CREATE_ATTEMPTS = 8;

/**
 * The identity service's ES256 signing keys, shared by every replica through etcd.
 *
 * Each key is one record at `<prefix>identity/signing-keys/<kid>` (StoredSigningKey JSON: the
 * public key in clear for every verifier, the private key sealed with the master key, and the
 * signature of identity's record key, which is what the other services check). Here a record
 * counts only when its private key opens with the master key: the seal is bound to the record's
 * etcd key and the public key must match it, so nothing written by anyone else verifies. Which key
 * signs follows access-model §8.7 (selectSigningKey): a key signs only while it outlives the
 * credential by the margin, and expired keys are dropped a minute after their expiry, so a key
 * stays published until the last credential it signed has expired.
 *
 * Replicas must not create a key each: every change of the key set also rewrites the set's head
 * record and compares its mod revision with the one the decision was made on. A replica that lost
 * the race reloads and finds the winner's key.
 */
export class SigningKeyStore implements VerificationKeyLookup {
  private keys = new Map<number, KeyEntry>();
  private watcher?: Watcher;
  private creating?: Promise<SigningKey>;
  private readonly catchUpReads = new KeyCatchUp(this, () => this.addStored(), () => this.clock());
  private readonly keysPrefix: string;
  private readonly headKey: string;
  private readonly eventsPrefix: string;
  private readonly clock: () => number;
  private readonly records: RecordSigner;
  private readonly ignored: IgnoredRecords;

  constructor(
    private readonly etcd: Etcd3,
    layout: KeyLayout,
    private readonly masterKey: MasterKey,
    private readonly options: SigningKeyStoreOptions,
  ) {
    this.keysPrefix = layout.signingKeys();
    this.headKey = `${layout.domain('identity')}signing-key-set`;
    this.eventsPrefix = `${layout.domain('identity')}events/`;
    this.clock = options.clock ?? Date.now;
    this.records = RecordSigner.fromMasterKey('identity', masterKey);
    this.ignored = options.ignored ?? new IgnoredRecords();
  }

  /** The public record key the verifiers must be configured with (AM_IDENTITY_RECORD_KEY). */
  get publicRecordKey(): string {
    return this.records.toString();
  }

  get(expiry: number): VerificationKey | undefined {
    return this.keys.get(expiry)?.verification;
  }

  /** Every published key (public halves), including expired ones not yet removed. */
  all(): VerificationKey[] {
    return [...this.keys.values()].map((e) => e.verification);
  }

  /** Whether the key is known, after reading etcd again if another replica may have just created it. */
  catchUp(expiry: number): Promise<boolean> {
    return this.catchUpReads.catchUp(expiry);
  }

  /** Snapshot of the stored keys, then a watch from the next revision (keys made by other replicas). */
  async start(): Promise<void> {
    await this.signUnsigned();
    const revision = await this.reload();
    this.watcher = await this.etcd.watch().prefix(this.keysPrefix).startRevision(String(revision + 1)).create();
    this.watcher.on('put', (kv) => this.apply(kv.key.toString(), kv.value.toString()));
    this.watcher.on('delete', (kv) => {
      const expiry = Number(kv.key.toString().slice(this.keysPrefix.length));
      this.ignored.clear(kv.key.toString());
      this.keys.delete(expiry);
    });
    this.watcher.on('error', (err) => {
      this.options.log.warn({ err: err.message }, 'signing key watch interrupted; reloading');
      void this.reload().catch((e: Error) => this.options.log.warn({ err: e.message }, 'signing keys could not be reloaded'));
    });
  }

  /** Idempotent: etcd3's cancel of an already cancelled watcher never settles. */
  async stop(): Promise<void> {
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.cancel();
  }

  /**
   * The key to sign a credential of this lifetime with: an existing one when it outlives the
   * credential by the margin, else a new one (created once across replicas).
   */
  async signingKeyFor(lifetimeSec: number): Promise<SigningKey> {
    for (let round = 0; round < 3; round++) {
      const choice = selectSigningKey(this.signable(), lifetimeSec, this.nowSec(), this.rotation()).choice;
      if (choice.action === 'use') return choice.key;
      // One creation at a time in this process; concurrent callers wait for it and select again
      // (it was made for the first caller's lifetime, which may be shorter than theirs).
      this.creating ??= this.create(lifetimeSec).finally(() => {
        this.creating = undefined;
      });
      await this.creating;
    }
    throw new Error(`no signing key could be made for a lifetime of ${lifetimeSec}s`);
  }

  /** Removes keys expired more than the grace period ago (run periodically). Returns how many went. */
  async removeExpired(): Promise<number> {
    for (let attempt = 0; attempt < MAX_CREATE_ATTEMPTS; attempt++) {
      const head = await this.readHead();
      await this.reload();
      const now = this.nowSec();
      const expired = [...this.keys.keys()].filter((e) => e < now - EXPIRED_KEY_GRACE_SEC);
      if (expired.length === 0) return 0;
      const events = expired.map((e) => this.event({ kind: 'signing-key-retired', kid: keyId(e) }));
      const ok = await this.commit(head, [], expired, events);
      if (ok) return expired.length;
    }
    throw new Error('signing keys changed concurrently too often; retry later');
  }

  private async create(lifetimeSec: number): Promise<SigningKey> {
    for (let attempt = 0; attempt < MAX_CREATE_ATTEMPTS; attempt++) {
      const head = await this.readHead();
      await this.reload();
      const selection = selectSigningKey(this.signable(), lifetimeSec, this.nowSec(), this.rotation());
      if (selection.choice.action === 'use') return selection.choice.key;
      const key = generateSigningKey(selection.choice.expiry);
      const discarded = selection.discarded.map((k) => k.expiry).filter((e) => e !== key.expiry);
      const events = [
        this.event({ kind: 'signing-key-created', kid: keyId(key.expiry), expiresAt: key.expiry }),
        ...discarded.map((e) => this.event({ kind: 'signing-key-retired', kid: keyId(e) })),
      ];
      if (await this.commit(head, [key], discarded, events)) {
        this.keys.set(key.expiry, { verification: key, signing: key });
        for (const e of discarded) this.keys.delete(e);
        this.options.log.info({ kid: keyId(key.expiry) }, 'signing key created');
        return key;
      }
      this.options.log.debug('signing key set changed concurrently; reloading');
    }
    throw new Error('could not create a signing key: the key set kept changing concurrently');
  }

  /**
   * One transaction: the head's mod revision is still `head` (nobody changed the key set since we
   * read it), the new keys do not exist yet; then the key records, the removals, the new head and
   * the events describing them.
   */
  private async commit(head: number, add: SigningKey[], remove: number[], events: IdentityEvent[]): Promise<boolean> {
    let txn = this.etcd.if(this.headKey, 'Mod', '==', head);
    for (const key of add) txn = txn.and(this.recordKey(key.expiry), 'Create', '==', 0);
    const remaining = new Set([...this.keys.keys(), ...add.map((k) => k.expiry)]);
    for (const e of remove) remaining.delete(e);
    const ops = [
      ...add.map((key) => this.etcd.put(this.recordKey(key.expiry)).value(this.sealed(key))),
      ...remove.map((e) => this.etcd.delete().key(this.recordKey(e))),
      this.etcd.put(this.headKey).value(JSON.stringify({ kids: [...remaining].sort((a, b) => a - b).map(keyId), time: new Date(this.clock()).toISOString() })),
    ];
    if (events.length > 0) {
      const { key, value } = eventRecord(this.eventsPrefix, events, this.clock());
      ops.push(this.etcd.put(key).value(value));
    }
    const result = await txn.then(...ops).commit();
    if (result.succeeded) this.options.onCommitted?.(events);
    return result.succeeded;
  }

  /** The stored record of a key: its private half sealed, the whole signed with the record key. */
  private sealed(key: SigningKey): string {
    const etcdKey = this.recordKey(key.expiry);
    return this.records.seal(etcdKey, sealSigningKey(key, this.masterKey, this.storageId(key.expiry)));
  }

  /**
   * Signs the records of our own keys that carry no valid record signature (written before records
   * were signed), so the verifiers accept them. Only records that open with our master key are
   * signed: that is the proof they are ours. Each write is conditional on the record being unchanged.
   */
  private async signUnsigned(): Promise<void> {
    const res = await this.etcd.getAll().prefix(this.keysPrefix).exec();
    for (const kv of res.kvs) {
      const key = kv.key.toString();
      const entry = this.parse(key, kv.value.toString());
      if (!entry || this.records.open(key, JSON.parse(kv.value.toString()))) continue;
      await this.etcd.if(key, 'Mod', '==', kv.mod_revision).then(this.etcd.put(key).value(this.sealed(entry.signing))).commit();
      this.options.log.info({ kid: keyId(entry.verification.expiry) }, 'signing key record signed with the record key');
    }
  }

  private async readHead(): Promise<number> {
    const res = await this.etcd.get(this.headKey).exec();
    return res.kvs.length ? Number(res.kvs[0].mod_revision) : 0;
  }

  /** Reads every stored key at one revision and replaces the in-memory set; returns that revision. */
  private async reload(): Promise<number> {
    const res = await this.etcd.getAll().prefix(this.keysPrefix).exec();
    const next = new Map<number, KeyEntry>();
    this.ignored.clearPrefix(this.keysPrefix);
    for (const kv of res.kvs) {
      const entry = this.parse(kv.key.toString(), kv.value.toString());
      if (entry) next.set(entry.verification.expiry, entry);
    }
    this.keys = next;
    return Number(res.header!.revision);
  }

  /** Adds the stored keys not known here, and nothing else (it cannot undo what the watch applied meanwhile). */
  private async addStored(): Promise<void> {
    const res = await this.etcd.getAll().prefix(this.keysPrefix).exec();
    for (const kv of res.kvs) {
      const key = kv.key.toString();
      if (this.keys.has(Number(key.slice(this.keysPrefix.length)))) continue; // known: not opened (nor reported) again
      const entry = this.parse(key, kv.value.toString());
      if (entry && !this.keys.has(entry.verification.expiry)) this.keys.set(entry.verification.expiry, entry);
    }
  }

  /** A replaced record that no longer opens takes its key out of use. */
  private apply(key: string, value: string): void {
    const entry = this.parse(key, value);
    if (entry) this.keys.set(entry.verification.expiry, entry);
    else this.keys.delete(Number(key.slice(this.keysPrefix.length)));
  }

  /**
   * A record whose private key does not open (another master key, tampering, planted) neither
   * signs nor verifies: it is ignored and reported.
   */
  private parse(key: string, value: string): KeyEntry | undefined {
    const kid = key.slice(this.keysPrefix.length);
    try {
      const record = JSON.parse(value) as { expiry?: unknown };
      if (typeof record.expiry !== 'number' || keyId(record.expiry) !== kid) throw new Error('the record does not name its own key id');
      const signing = openSigningKey(record, this.masterKey, this.storageId(record.expiry));
      this.ignored.clear(key);
      return { verification: signing, signing };
    } catch (err) {
      this.options.log.error({ kid, err: (err as Error).message }, 'ignoring a signing key record that does not open with this master key');
      this.ignored.ignore(key, `does not open with the master key: ${(err as Error).message}`);
      return undefined;
    }
  }

  private signable(): SigningKey[] {
    return [...this.keys.values()].map((e) => e.signing);
  }

  private recordKey(expiry: number): string {
    return `${this.keysPrefix}${keyId(expiry)}`;
  }

  /** The sealed private key is bound to its etcd key: copied to another record it does not open. */
  private storageId(expiry: number): string {
    return this.recordKey(expiry);
  }

  private rotation() {
    return { rotationPeriodSec: this.options.rotationPeriodSec };
  }

  private nowSec(): number {
    return Math.floor(this.clock() / 1000);
  }

  private event(e: Omit<IdentityEvent, 'time'>): IdentityEvent {
    return { ...e, time: new Date(this.clock()).toISOString() };
  }
}
