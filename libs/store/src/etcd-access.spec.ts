import { TestInfra } from '@am/testing';
import { Range } from 'etcd3';
import { ensureEtcdAccess, etcdGrants } from './etcd-access';

describe('ensureEtcdAccess (real etcd with client-certificate auth)', () => {
  let infra: TestInfra;
  beforeAll(async () => {
    infra = await TestInfra.start();
  });
  afterAll(() => infra.stop());

  it('puts a role back to the table: a permission added by hand is revoked on the next run, the table kept', async () => {
    const root = infra.etcdClient();
    const policy = infra.etcdClient('policy');
    try {
      await root.role('policy').grant({ permission: 'Readwrite', range: Range.prefix('/am/identity/') });
      await policy.put('/am/identity/signing-keys/7').value('planted by hand');
      await ensureEtcdAccess(root, ['/am/']);
      await ensureEtcdAccess(root, ['/am/']); // and again: nothing changes
      await expect(policy.put('/am/identity/signing-keys/8').value('x')).rejects.toThrow(/permission denied/i);
      await policy.put('/am/meta/still-mine').value('x');
      const held = (await root.role('policy').permissions()).map((p) => `${p.permission} ${p.range.start.toString()}`).sort();
      expect(held).toEqual(etcdGrants('/am/').policy.map((g) => `${g.permission} ${g.prefix}`).sort());
    } finally {
      root.close();
      policy.close();
    }
  });
});
