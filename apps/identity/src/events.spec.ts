import { createEtcd, KeyLayout } from '@am/store';
import { UnavailableError } from '@am/model';
import { TestInfra, waitFor } from '@am/testing';
import type { Etcd3 } from 'etcd3';
import { CredentialEventLog, MAX_BATCH, MAX_KEYS_PER_LEASE, type IdentityEvent } from './events';

const PREFIX = '/am/identity/events/';

function issued(n: number): IdentityEvent {
  return { kind: 'credential-issued', time: new Date(0).toISOString(), principal: `am://user/u${n}`, via: 'vouch', actor: 'am://workload/plugin', jti: `j${n}`, kid: 'k', expiresAt: 1 };
}

describe('CredentialEventLog against a real etcd', () => {
  let infra: TestInfra;
  let etcd: Etcd3;
  beforeAll(async () => {
    infra = await TestInfra.start();
    const client = createEtcd([infra.etcd.url]);
    infra.track({ close: async () => client.close() });
    etcd = client;
  });
  afterAll(() => infra?.stop());
  beforeEach(() => etcd.delete().prefix(PREFIX));

  /** Every stored record: its events' jtis and the lease it is attached to. */
  async function stored(): Promise<{ jtis: string[]; lease: string }[]> {
    const res = await etcd.getAll().prefix(PREFIX).exec();
    return res.kvs.map((kv) => ({ jtis: (JSON.parse(kv.value.toString()) as IdentityEvent[]).map((e) => e.jti!), lease: kv.lease }));
  }

  it('commits every event, on a lease, soon after; those that gather share keys and transactions', async () => {
    const log = new CredentialEventLog(etcd, new KeyLayout(), 3600);
    const revisionBefore = Number((await etcd.get('/nothing').exec()).header.revision);
    for (let i = 0; i < 1200; i++) log.record(issued(i));
    expect(log.unrecorded).toBeGreaterThan(0);
    await log.flushed();
    expect(log.unrecorded).toBe(0);
    const records = await stored();
    expect(records.flatMap((r) => r.jtis).sort()).toEqual(Array.from({ length: 1200 }, (_, i) => `j${i}`).sort());
    expect(records.every((r) => r.lease !== '0')).toBe(true);
    // 1200 events in a few keys (at most MAX_BATCH events each), one etcd revision per key plus the lease grant.
    expect(records.length).toBeLessThan(10);
    expect(Math.max(...records.map((r) => r.jtis.length))).toBeLessThanOrEqual(MAX_BATCH);
    const revisionAfter = Number((await etcd.get('/nothing').exec()).header.revision);
    expect(revisionAfter - revisionBefore).toBeLessThan(10);
  });

  it('writes what gathered within the window without being asked', async () => {
    const log = new CredentialEventLog(etcd, new KeyLayout(), 3600, { gatherMs: 20 });
    log.record(issued(1));
    log.record(issued(2));
    await waitFor('the record', async () => (await stored()).length > 0, 5000, 20);
    const records = await stored();
    expect(records.map((r) => r.jtis)).toEqual([['j1', 'j2']]);
    expect(records[0].lease).not.toBe('0');
  });

  it('starts a new lease once one carries MAX_KEYS_PER_LEASE records', async () => {
    const log = new CredentialEventLog(etcd, new KeyLayout(), 3600, { gatherMs: 0 });
    // One at a time: each its own record.
    for (let i = 0; i <= MAX_KEYS_PER_LEASE; i++) {
      log.record(issued(i));
      await log.flushed();
    }
    const byLease = new Map<string, number>();
    for (const r of await stored()) byLease.set(r.lease, (byLease.get(r.lease) ?? 0) + 1);
    expect([...byLease.values()].sort((a, b) => a - b)).toEqual([1, MAX_KEYS_PER_LEASE]);
  });

  it('keeps what etcd did not take and writes it once etcd is back; refuses new issues while the backlog is too old or too long', async () => {
    const errors: number[] = [];
    const log = new CredentialEventLog(etcd, new KeyLayout(), 3600, { gatherMs: 0, maxLagMs: 300, maxUnrecorded: 3, onWriteError: (_err, n) => errors.push(n) });
    log.record(issued(1));
    await log.flushed();
    await infra.etcd.stop();
    try {
      log.admit();
      log.record(issued(2));
      // Too old: etcd has not taken event 2 for longer than maxLagMs.
      await waitFor('a failed write', async () => errors.length > 0, 20_000, 20);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(() => log.admit()).toThrow(UnavailableError);
      // Too long: maxUnrecorded events wait.
      const fresh = new CredentialEventLog(etcd, new KeyLayout(), 3600, { gatherMs: 0, maxUnrecorded: 3 });
      for (const n of [10, 11]) {
        fresh.admit();
        fresh.record(issued(n));
      }
      expect(() => fresh.admit()).not.toThrow();
      fresh.record(issued(12));
      expect(() => fresh.admit()).toThrow(UnavailableError);
      await fresh.close(0);
    } finally {
      await infra.etcd.start();
    }
    await log.flushed();
    expect(() => log.admit()).not.toThrow();
    log.record(issued(3));
    await log.close();
    expect((await stored()).flatMap((r) => r.jtis).sort()).toEqual(['j1', 'j2', 'j3']);
    expect(errors.every((n) => n >= 1)).toBe(true);
  }, 60_000);

  it('writes everything before close resolves, and then refuses new issues', async () => {
    const log = new CredentialEventLog(etcd, new KeyLayout(), 3600, { gatherMs: 60_000 });
    for (let i = 0; i < 5; i++) log.record(issued(i));
    expect(await log.close()).toBe(0);
    expect((await stored()).flatMap((r) => r.jtis).sort()).toEqual(['j0', 'j1', 'j2', 'j3', 'j4']);
    expect(() => log.admit()).toThrow(UnavailableError);
  });
});
