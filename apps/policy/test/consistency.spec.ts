import { annotateContract, createNodeContract, detailsContract, type BusClient } from '@am/bus';
import { TestInfra } from '@am/testing';
import { gatewayBus, OPERATOR, startPolicyIn, type Policy } from './support';

describe('policy consistency: concurrent writers and replicas (real etcd and NATS)', () => {
  let infra: TestInfra;
  let bus: BusClient;
  let first: Policy;
  let second: Policy;

  beforeAll(async () => {
    infra = await TestInfra.start();
    first = await startPolicyIn(infra, { AM_BOOT_UNIVERSE: 'new_sample' });
    second = await startPolicyIn(infra);
    bus = (await gatewayBus(infra)).bus;
  });
  afterAll(() => infra.stop());

  it('200 concurrent read-modify-write writers on one annotation: no lost update, every refusal a conflict', async () => {
    const path = 'am://data/counter';
    await bus.request(createNodeContract, { credential: OPERATOR, path });
    const created = await bus.request(annotateContract, { credential: OPERATOR, path, annotation: { tag: 'count', data: '0' } });
    const unique = created.annotation.unique;
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const seen = await bus.request(detailsContract, { credential: OPERATOR, path, atLeast: created.revision });
        const current = seen.details.annotations.find((a) => a.unique === unique)!;
        const next = { tag: 'count', unique, version: current.version, data: String(Number(current.data) + 1) };
        return bus.request(annotateContract, { credential: OPERATOR, path, annotation: next }, 20_000).then(
          (r) => ({ ok: true as const, revision: r.revision, version: r.annotation.version }),
          (e: { code?: string }) => ({ ok: false as const, code: e.code }),
        );
      }),
    );
    const acked = outcomes.filter((o) => o.ok);
    const refused = outcomes.filter((o) => !o.ok);
    expect(acked.length).toBeGreaterThan(0);
    expect(refused.every((o) => o.code === 'conflict')).toBe(true);
    const last = Math.max(...acked.map((a) => a.revision));
    const final = (await bus.request(detailsContract, { credential: OPERATOR, path, atLeast: last })).details.annotations.find((a) => a.unique === unique)!;
    // Each acknowledged write incremented exactly once: the count and the version agree with the acks.
    expect(Number(final.data)).toBe(acked.length);
    expect(Number(final.version)).toBe(1 + acked.length);
    expect(new Set(acked.map((a) => a.version)).size).toBe(acked.length);
  }, 60_000);

  it('200 concurrent writers adding annotations to one node: every acknowledged one is present afterwards', async () => {
    const path = 'am://data/crowd';
    await bus.request(createNodeContract, { credential: OPERATOR, path });
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        bus.request(annotateContract, { credential: OPERATOR, path, annotation: { tag: 'writer', data: String(i) } }, 20_000).then(
          (r) => ({ ok: true as const, revision: r.revision, data: String(i) }),
          (e: { code?: string }) => ({ ok: false as const, code: e.code }),
        ),
      ),
    );
    const acked = outcomes.filter((o) => o.ok);
    expect(outcomes.filter((o) => !o.ok).every((o) => o.code === 'conflict')).toBe(true);
    const last = Math.max(...acked.map((a) => a.revision));
    const present = (await bus.request(detailsContract, { credential: OPERATOR, path, atLeast: last })).details.annotations.map((a) => a.data);
    expect(present.sort()).toEqual(acked.map((a) => a.data).sort());
  }, 60_000);

  it('a write through one instance is visible in the other with its consistency token', async () => {
    for (let i = 0; i < 20; i++) {
      const path = `am://data/replica-${i}`;
      const { revision } = await first.service.write(OPERATOR, { kind: 'create-node', path, directory: false });
      const view = await second.service.view(revision);
      expect(view.revision).toBeGreaterThanOrEqual(revision);
      expect(view.engine.has(path)).toBe(true);
    }
    const { revision } = await second.service.write(OPERATOR, { kind: 'create-node', path: 'am://data/from-second', directory: false });
    expect((await first.service.view(revision)).engine.has('am://data/from-second')).toBe(true);
  });

  it('a token from the future is a bounded wait that ends as unavailable, not a hang', async () => {
    const ahead = first.projection.revision + 1_000_000;
    await expect(bus.request(detailsContract, { credential: OPERATOR, path: 'am://', atLeast: ahead })).rejects.toMatchObject({ code: 'unavailable' });
  });
});
