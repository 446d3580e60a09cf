import { createEtcd, KeyLayout } from '@am/store';
import { TestInfra } from '@am/testing';
import type { Etcd3 } from 'etcd3';
import { CredentialEventLog, MAX_KEYS_PER_LEASE, type IdentityEvent } from './events';

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

  it('has every event committed, on a lease, by the time its record resolves; concurrent ones share keys and transactions', async () => {
    const log = new CredentialEventLog(etcd, new KeyLayout(), 3600);
    const revisionBefore = Number((await etcd.get('/nothing').exec()).header.revision);
    await Promise.all(Array.from({ length: 250 }, (_, i) => log.record(issued(i))));
    const records = await stored();
    expect(records.flatMap((r) => r.jtis).sort()).toEqual(Array.from({ length: 250 }, (_, i) => `j${i}`).sort());
    expect(records.every((r) => r.lease !== '0')).toBe(true);
    // 250 events in a few keys (at most 100 events each), one etcd revision per key plus the lease grant.
    expect(records.length).toBeLessThan(10);
    expect(Math.max(...records.map((r) => r.jtis.length))).toBeLessThanOrEqual(100);
    const revisionAfter = Number((await etcd.get('/nothing').exec()).header.revision);
    expect(revisionAfter - revisionBefore).toBeLessThan(10);
  });

  it('starts a new lease once one carries MAX_KEYS_PER_LEASE records', async () => {
    const log = new CredentialEventLog(etcd, new KeyLayout(), 3600);
    // One at a time: each its own record.
    for (let i = 0; i <= MAX_KEYS_PER_LEASE; i++) await log.record(issued(i));
    const byLease = new Map<string, number>();
    for (const r of await stored()) byLease.set(r.lease, (byLease.get(r.lease) ?? 0) + 1);
    expect([...byLease.values()].sort((a, b) => a - b)).toEqual([1, MAX_KEYS_PER_LEASE]);
  });

  it('fails the records of a commit that failed (nothing is reported as recorded that is not), and recovers with etcd', async () => {
    const log = new CredentialEventLog(etcd, new KeyLayout(), 3600);
    await log.record(issued(1));
    await infra.etcd.stop();
    try {
      await expect(log.record(issued(2))).rejects.toThrow();
    } finally {
      await infra.etcd.start();
    }
    await log.record(issued(3));
    expect((await stored()).flatMap((r) => r.jtis).sort()).toEqual(['j1', 'j3']);
  }, 30_000);
});
