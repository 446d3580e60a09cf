import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from './program';

function capture() {
  let out = '';
  let err = '';
  return { io: { out: (t: string) => (out += t), err: (t: string) => (err += t), env: {}, fetch }, get: () => ({ out, err }) };
}

describe('am status (against a real HTTP server standing in for /readyz)', () => {
  let server: Server;
  let url: string;
  let ready = true;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const checks = { etcd: ready ? 'up' : 'down', nats: 'up' };
      res.writeHead(req.url === '/readyz' ? (ready ? 200 : 503) : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ checks }));
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('prints each dependency and exits 0 when ready', async () => {
    const c = capture();
    expect(await runCli(['--am_url', url, 'status'], c.io)).toBe(0);
    expect(c.get().out).toBe('etcd       up\nnats       up\n');
  });

  it('exits 1 with one clear line when not ready', async () => {
    ready = false;
    const c = capture();
    expect(await runCli(['--am_url', url, 'status'], c.io)).toBe(1);
    expect(c.get().err).toBe('Error: not ready (HTTP 503)\n');
    ready = true;
  });

  it('exits 1 naming the URL when the gateway is unreachable', async () => {
    const c = capture();
    expect(await runCli(['--am_url', 'http://127.0.0.1:1', 'status'], c.io)).toBe(1);
    expect(c.get().err).toMatch(/^Error: cannot reach the gateway at http:\/\/127\.0\.0\.1:1: /);
  });

  it('has help with examples, and rejects an unknown command', async () => {
    const help = capture();
    expect(await runCli(['status', '--help'], help.io)).toBe(0);
    expect(help.get().out).toContain('Examples:');
    const bad = capture();
    expect(await runCli(['frobnicate'], bad.io)).toBe(1);
    expect(bad.get().err).toContain("unknown command 'frobnicate'");
  });
});
