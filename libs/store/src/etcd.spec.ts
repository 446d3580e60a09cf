import { TestInfra } from '@am/testing';
import { etcdReachable } from './etcd';
import { KeyLayout } from './keys';

describe('createEtcd against a real etcd', () => {
  let infra: TestInfra;
  beforeAll(async () => {
    infra = await TestInfra.start();
  });
  afterAll(() => infra.stop());

  it('recovers by itself after an etcd outage (no circuit breaker holding it open)', async () => {
    const etcd = infra.etcdClient();
    try {
      await etcd.put('/am/x').value('1');
      expect(await etcdReachable(etcd)).toBe(true);
      await infra.etcd.stop();
      expect(await etcdReachable(etcd, 500)).toBe(false);
      await expect(etcd.get('/am/x').string()).rejects.toThrow();
      await infra.etcd.start();
      // The very next calls succeed: etcd3's default breaker would fail them fast for a while.
      expect(await etcd.get('/am/x').string()).toBe('1');
      expect(await etcdReachable(etcd)).toBe(true);
    } finally {
      etcd.close();
    }
  });
});

describe('KeyLayout', () => {
  it('puts every domain under the configured prefix', () => {
    expect(new KeyLayout('/tenant-a/').domain('meta')).toBe('/tenant-a/meta/');
    expect(new KeyLayout().domain('events')).toBe('/am/events/');
  });
  it('refuses a prefix that would not form a clean range', () => {
    expect(() => new KeyLayout('am')).toThrow(/invalid etcd prefix/);
    expect(() => new KeyLayout('/am')).toThrow(/invalid etcd prefix/);
  });
});
