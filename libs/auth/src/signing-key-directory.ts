import { verificationKeyFromPem, type VerificationKey, type VerificationKeyLookup } from '@am/crypto';
import { KeyLayout } from '@am/store';
import type { Etcd3, Watcher } from 'etcd3';
import { z } from 'zod';
import { KeyCatchUp } from './key-catch-up';

const PublishedKey = z.object({ expiry: z.number().int().positive(), publicKeyPem: z.string() });

/**
 * The public halves of identity's signing keys, kept current from etcd (snapshot, then watch), so
 * every service verifies credentials locally without asking identity. Only the public key of each
 * record is read; the sealed private key never leaves the identity service.
 */
export class SigningKeyDirectory implements VerificationKeyLookup {
  private keys = new Map<number, VerificationKey>();
  private watcher?: Watcher;
  private readonly prefix: string;
  private readonly catchUpReads = new KeyCatchUp(this, () => this.addPublished());

  constructor(
    private readonly etcd: Etcd3,
    layout: KeyLayout,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {
    this.prefix = layout.signingKeys();
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
    this.watcher.on('delete', (kv) => this.keys.delete(this.expiryOf(kv.key.toString()) ?? -1));
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
    for (const kv of res.kvs) {
      const key = this.parse(kv.value.toString());
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
      const key = this.parse(kv.value.toString());
      if (key && !this.keys.has(key.expiry)) this.keys.set(key.expiry, key);
    }
  }

  private put(_key: string, value: string): void {
    const key = this.parse(value);
    if (key) this.keys.set(key.expiry, key);
  }

  /** A malformed record is skipped (and reported): it can verify nothing, so failing closed is free. */
  private parse(value: string): VerificationKey | undefined {
    try {
      const record = PublishedKey.parse(JSON.parse(value));
      return verificationKeyFromPem(record.expiry, record.publicKeyPem);
    } catch (err) {
      this.onError(new Error(`ignoring a malformed signing key record: ${(err as Error).message}`));
      return undefined;
    }
  }

  private expiryOf(key: string): number | undefined {
    const kid = Number(key.slice(this.prefix.length));
    return Number.isSafeInteger(kid) ? kid : undefined;
  }
}
