import { KeyLayout } from '@am/store';
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
    const client = infra.etcdClient();
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

  it('commits every event, on a lease, soon after; those that gather share keys and transactions, each announced once committed', async () => {
    const announced: string[][] = [];
    const log = new CredentialEventLog(etcd, new KeyLayout(), 3600, { onCommitted: (events) => announced.push(events.map((e) => e.jti!)) });
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
    // One announcement per record, carrying exactly the record's events.
    const sortRecords = (rs: string[][]) => rs.map((r) => r.join()).sort();
    expect(sortRecords(announced)).toEqual(sortRecords(records.map((r) => r.jtis)));
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
    const announced: string[] = [];
    const log = new CredentialEventLog(etcd, new KeyLayout(), 3600, {
      gatherMs: 0,
      maxLagMs: 300,
      maxUnrecorded: 3,
      onWriteError: (_err, n) => errors.push(n),
      onCommitted: (events) => announced.push(...events.map((e) => e.jti!)),
    });
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
      // Not committed, not announced.
      expect(announced).toEqual(['j1']);
      // Too long: maxUnrecorded events wait. Issues admitted together are held to the limit
      // when they record (the credential of a refused record is never handed out).
      const fresh = new CredentialEventLog(etcd, new KeyLayout('/elsewhere/'), 3600, { gatherMs: 0, maxUnrecorded: 3 });
      for (let i = 0; i < 5; i++) fresh.admit();
      for (const n of [10, 11, 12]) fresh.record(issued(n));
      expect(() => fresh.record(issued(13))).toThrow(UnavailableError);
      expect(() => fresh.admit()).toThrow(UnavailableError);
      expect(fresh.unrecorded).toBe(3);
      await fresh.close(0);
    } finally {
      await infra.etcd.start();
    }
    await log.flushed();
    expect(() => log.admit()).not.toThrow();
    log.record(issued(3));
    await log.close();
    expect((await stored()).flatMap((r) => r.jtis).sort()).toEqual(['j1', 'j2', 'j3']);
    expect(announced.sort()).toEqual(['j1', 'j2', 'j3']);
    expect(errors.every((n) => n >= 1)).toBe(true);
  }, 60_000);

  it('writes everything before close resolves, and then refuses new issues and records', async () => {
    const log = new CredentialEventLog(etcd, new KeyLayout(), 3600, { gatherMs: 60_000 });
    for (let i = 0; i < 5; i++) log.record(issued(i));
    expect(await log.close()).toBe(0);
    expect((await stored()).flatMap((r) => r.jtis).sort()).toEqual(['j0', 'j1', 'j2', 'j3', 'j4']);
    expect(() => log.admit()).toThrow(UnavailableError);
    expect(() => log.record(issued(5))).toThrow(UnavailableError);
  });

  it('starts a fresh lease when etcd no longer has the one in use', async () => {
    const errors: string[] = [];
    const log = new CredentialEventLog(etcd, new KeyLayout(), 3600, { gatherMs: 0, onWriteError: (err) => errors.push(err.message) });
    log.record(issued(1));
    await log.flushed();
    const [first] = await stored();
    await etcd.leaseClient.leaseRevoke({ ID: first.lease });
    log.record(issued(2));
    await log.flushed();
    expect(errors.join()).toMatch(/lease not found/);
    const records = await stored();
    expect(records.map((r) => r.jtis)).toEqual([['j2']]); // j1 went with its lease
    expect(records[0].lease).not.toBe(first.lease);
    expect(() => log.admit()).not.toThrow();
  });

  it('gives up on a write etcd does not answer, refuses issues while it lags, and catches up once etcd answers again', async () => {
    const errors: string[] = [];
    const log = new CredentialEventLog(etcd, new KeyLayout(), 3600, { gatherMs: 0, maxLagMs: 500, writeTimeoutMs: 200, onWriteError: (err) => errors.push(err.message) });
    log.record(issued(1));
    await log.flushed();
    const pid = infra.etcd.pid!;
    process.kill(pid, 'SIGSTOP'); // alive, connected, silent
    try {
      log.record(issued(2));
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(() => log.admit()).toThrow(UnavailableError);
      expect(log.unrecorded).toBe(1);
      // Not stuck behind the silent call: it was given up and is being written again.
      expect(errors[0]).toBe('etcd did not answer within 200 ms');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await log.flushed();
    expect(() => log.admit()).not.toThrow();
    // A write that timed out may have committed after all: an issue can be stored twice, never lost.
    expect([...new Set((await stored()).flatMap((r) => r.jtis))].sort()).toEqual(['j1', 'j2']);
  }, 30_000);
});
