import { Etcd3 } from 'etcd3';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { EtcdServer } from './etcd';
import { TestInfra } from './infra';
import { freePorts, portOpen } from './net';

describe('TestInfra (real etcd and nats-server)', () => {
  let infra: TestInfra;
  afterEach(async () => {
    await infra?.stop();
  });

  it('starts both servers on loopback, serves the per-service users, and removes everything on stop', async () => {
    infra = await TestInfra.start();
    const etcd = infra.etcdClient();
    await etcd.put('/probe').value('1');
    expect(await etcd.get('/probe').string()).toBe('1');
    etcd.close();

    const env = infra.env('policy');
    const nc = await connect({ servers: infra.nats.url, user: env.AM_NATS_USER, pass: env.AM_NATS_PASSWORD });
    const sub = nc.subscribe('_INBOX.probe', { max: 1 });
    const got = (async () => {
      for await (const m of sub) return m.string();
    })();
    nc.publish('_INBOX.probe', 'hello');
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
    let etcd = infra.etcdClient();
    await etcd.put('/kept').value('yes');
    etcd.close();
    await infra.etcd.stop();
    await infra.etcd.start();
    etcd = infra.etcdClient();
    expect(await etcd.get('/kept').string()).toBe('yes');
    etcd.close();
  });

  it('reports a server that exits while starting at once, quoting its log, and leaves nothing running', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'am-etcd-fail-'));
    const port = await freePorts(2);
    const squatter = await new Promise<Server>((resolve) => {
      const srv = createServer((socket) => socket.destroy());
      srv.listen(port, '127.0.0.1', () => resolve(srv));
    });
    try {
      const started = Date.now();
      const failure = await EtcdServer.start({ dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: port, peerPort: port + 1 }).then(
        () => undefined,
        (err: Error) => err.message,
      );
      expect(failure).toMatch(/etcd on http:\/\/127\.0\.0\.1:\d+: the process exited \(code \d+\) before it was ready/);
      expect(failure).toMatch(/last lines of .*etcd\.log:\n[^]*address already in use/);
      // Failed at the exit, well before the 15 s readiness timeout.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await portOpen(port + 1)).toBe(false);
    } finally {
      await new Promise((r) => squatter.close(r));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
