import { IDENTITY_EVENTS_SUBJECT, type IdentityEvent } from '@am/bus';
import type { KeyLayout } from '@am/store';
import type { Etcd3 } from 'etcd3';
import { randomBytes } from 'node:crypto';

export type { IdentityEvent };

/**
 * The etcd record of an identity event under `<prefix>identity/events/`: the key sorts by time
 * (zero-padded milliseconds) with a random suffix so concurrent replicas never collide.
 */
export function eventRecord(eventsPrefix: string, event: IdentityEvent, nowMs: number): { key: string; value: string } {
  return { key: `${eventsPrefix}${String(nowMs).padStart(15, '0')}-${randomBytes(6).toString('hex')}`, value: JSON.stringify(event) };
}

export function eventSubject(event: IdentityEvent): string {
  return `${IDENTITY_EVENTS_SUBJECT}.${event.kind}`;
}

/** One lease per this many seconds of events: each event expires between retention and retention + this. */
const LEASE_BUCKET_SEC = 3600;

/**
 * Credential-issued events (the audit trail of who got a credential, how and on whose word —
 * never the token). They describe no other state, so each is its own write, acknowledged before
 * the credential is handed out. They expire after the retention period through a shared lease
 * (one per hour of events), so the log does not grow without bound.
 */
export class CredentialEventLog {
  private lease?: { id: Promise<string>; grantedAt: number };
  private readonly prefix: string;

  constructor(
    private readonly etcd: Etcd3,
    layout: KeyLayout,
    private readonly retentionSec: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.prefix = `${layout.domain('identity')}events/`;
  }

  async record(event: IdentityEvent): Promise<void> {
    const { key, value } = eventRecord(this.prefix, event, this.clock());
    let lease: string;
    try {
      lease = await this.currentLease();
    } catch (err) {
      this.lease = undefined; // grant again next time
      throw err;
    }
    await this.etcd.put(key).value(value).lease(lease).exec();
  }

  private currentLease(): Promise<string> {
    const now = this.clock();
    if (!this.lease || now - this.lease.grantedAt >= LEASE_BUCKET_SEC * 1000) {
      const lease = this.etcd.lease(this.retentionSec + LEASE_BUCKET_SEC, { autoKeepAlive: false });
      this.lease = { id: lease.grant(), grantedAt: now };
    }
    return this.lease.id;
  }
}
