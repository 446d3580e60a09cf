import { keyId, verificationKeyFromPem, type RecordVerifier, type VerificationKey, type VerificationKeyLookup } from '@am/crypto';
import { IgnoredRecords, KeyLayout } from '@am/store';
import type { Etcd3, Watcher } from 'etcd3';
import { z } from 'zod';
import { KeyCatchUp } from './key-catch-up';

const PublishedKey = z.object({ expiry: z.number().int().positive(), publicKeyPem: z.string() });

export interface SigningKeyDirectoryOptions {
  /** identity's record key: a key record it did not sign verifies nothing here. */
  recordKey: RecordVerifier;
  /** Where records that are not trusted are reported (shared with the service's other views). */
  ignored?: IgnoredRecords;
  onError?: (err: Error) => void;
}

/**
 * The public halves of identity's signing keys, kept current from etcd (snapshot, then watch), so
 * every service verifies credentials locally without asking identity. Only the public key of each
 * record is read; the sealed private key never leaves the identity service. A record counts only
 * when identity's record key signed it: whoever else writes a key into etcd cannot make it verify.
 */
export class SigningKeyDirectory implements VerificationKeyLookup {
  private keys = new Map<number, VerificationKey>();
  private watcher?: Watcher;
  private readonly prefix: string;
  private readonly catchUpReads = new KeyCatchUp(this, () => this.addPublished());
  private readonly ignored: IgnoredRecords;
  private readonly onError: (err: Error) => void;

  constructor(
    private readonly etcd: Etcd3,
    layout: KeyLayout,
    private readonly options: SigningKeyDirectoryOptions,
  ) {
    this.prefix = layout.signingKeys();
    this.ignored = options.ignored ?? new IgnoredRecords();
    this.onError = options.onError ?? (() => undefined);
  }

  get(expiry: number): VerificationKey | undefined {
    return this.keys.get(expiry);
  }

  all(): VerificationKey[] {
    return [...this.keys.values()];
  }

  /** Whether the key is known, after reading etcd again if it may have been created since the watch last spoke. */
  catchUp(expiry: number): Promise<boolean> {
    return this.catchUpReads.catchUp(expiry);
  }

  async start(): Promise<void> {
    const revision = await this.load();
    this.watcher = await this.etcd.watch().prefix(this.prefix).startRevision(String(revision + 1)).create();
    this.watcher.on('put', (kv) => this.put(kv.key.toString(), kv.value.toString()));
    this.watcher.on('delete', (kv) => {
      this.ignored.clear(kv.key.toString());
      this.keys.delete(this.expiryOf(kv.key.toString()) ?? -1);
    });
    this.watcher.on('error', (err) => {
      this.onError(err);
      void this.load().catch((e: Error) => this.onError(e));
    });
  }

  /** Idempotent: etcd3's cancel of an already cancelled watcher never settles. */
  async stop(): Promise<void> {
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.cancel();
  }

  /** Reads every published key at one revision and replaces the set; returns that revision. */
  private async load(): Promise<number> {
    const res = await this.etcd.getAll().prefix(this.prefix).exec();
    const next = new Map<number, VerificationKey>();
    this.ignored.clearPrefix(this.prefix);
    for (const kv of res.kvs) {
      const key = this.parse(kv.key.toString(), kv.value.toString());
      if (key) next.set(key.expiry, key);
    }
    this.keys = next;
    return Number(res.header!.revision);
  }

  /**
   * Adds the published keys not known here, and nothing else: unlike `load`, it cannot undo what
   * the watch applied while the read was on its way (removals stay the watch's job).
   */
  private async addPublished(): Promise<void> {
    const res = await this.etcd.getAll().prefix(this.prefix).exec();
    for (const kv of res.kvs) {
      const expiry = this.expiryOf(kv.key.toString());
      if (expiry !== undefined && this.keys.has(expiry)) continue; // known: not parsed (nor reported) again
      const key = this.parse(kv.key.toString(), kv.value.toString());
      if (key && !this.keys.has(key.expiry)) this.keys.set(key.expiry, key);
    }
  }

  /** A replaced record that no longer authenticates takes its key out of use. */
  private put(etcdKey: string, value: string): void {
    const key = this.parse(etcdKey, value);
    if (key) this.keys.set(key.expiry, key);
    else this.keys.delete(this.expiryOf(etcdKey) ?? -1);
  }

  /** A record that is malformed or not signed by identity is skipped and reported: failing closed is free. */
  private parse(etcdKey: string, value: string): VerificationKey | undefined {
    try {
      const signed = this.options.recordKey.open(etcdKey, JSON.parse(value));
      if (!signed) {
        this.ignored.ignore(etcdKey, 'not signed with the identity record key');
        return undefined;
      }
      const record = PublishedKey.parse(signed);
      if (keyId(record.expiry) !== etcdKey.slice(this.prefix.length)) throw new Error('the record does not name its own key id');
      this.ignored.clear(etcdKey);
      return verificationKeyFromPem(record.expiry, record.publicKeyPem);
    } catch (err) {
      this.ignored.ignore(etcdKey, `malformed: ${(err as Error).message}`);
      return undefined;
    }
  }

  private expiryOf(key: string): number | undefined {
    const kid = Number(key.slice(this.prefix.length));
    return Number.isSafeInteger(kid) ? kid : undefined;
  }
}
