import { Etcd3 } from 'etcd3';
import { existsSync } from 'node:fs';
import { connect } from 'nats';
import { TestInfra } from './infra';
import { portOpen } from './net';

describe('TestInfra (real etcd and nats-server)', () => {
  let infra: TestInfra;
  afterEach(async () => {
    await infra?.stop();
  });

  it('starts both servers on loopback, serves the per-service users, and removes everything on stop', async () => {
    infra = await TestInfra.start();
    const etcd = new Etcd3({ hosts: infra.etcd.url });
    await etcd.put('/probe').value('1');
    expect(await etcd.get('/probe').string()).toBe('1');
    etcd.close();

    const env = infra.env('policy');
    const nc = await connect({ servers: infra.nats.url, user: env.AM_NATS_USER, pass: env.AM_NATS_PASSWORD });
    const sub = nc.subscribe('am.probe', { max: 1 });
    const got = (async () => {
      for await (const m of sub) return m.string();
    })();
    nc.publish('am.probe', 'hello');
    expect(await got).toBe('hello');
    await nc.close();

    await expect(connect({ servers: infra.nats.url, user: 'policy', pass: 'wrong' })).rejects.toThrow(/Authorization/i);

    const { dir } = infra;
    const etcdPort = Number(new URL(infra.etcd.url).port);
    await infra.stop();
    expect(existsSync(dir)).toBe(false);
    expect(await portOpen(etcdPort)).toBe(false);
    expect(await portOpen(infra.nats.port)).toBe(false);
  });

  it('restarts etcd in place with its data', async () => {
    infra = await TestInfra.start();
    let etcd = new Etcd3({ hosts: infra.etcd.url });
    await etcd.put('/kept').value('yes');
    etcd.close();
    await infra.etcd.stop();
    await infra.etcd.start();
    etcd = new Etcd3({ hosts: infra.etcd.url });
    expect(await etcd.get('/kept').string()).toBe('yes');
    etcd.close();
  });
});
