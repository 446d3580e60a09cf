import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fetchAllows, freePorts } from './net';

const listen = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });

describe('freePorts', () => {
  it('hands out consecutive ports that can all be bound, below the range the kernel uses for outgoing connections', async () => {
    const ephemeral = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    for (let i = 0; i < 20; i++) {
      const first = await freePorts(4);
      expect(first).toBeGreaterThanOrEqual(10_000);
      expect(first + 3).toBeLessThan(ephemeral);
      const servers = await Promise.all([0, 1, 2, 3].map((k) => listen(first + k)));
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  });
});

describe('fetchAllows', () => {
  it('matches the ports Node\'s fetch refuses as "bad ports", over the low end of the range freePorts picks from', async () => {
    const refused = async (port: number) =>
      fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) }).then(
        () => false,
        (err: Error & { cause?: Error }) => err.cause?.message === 'bad port',
      );
    for (let port = 10_000; port < 10_200; port++) expect({ port, allowed: fetchAllows(port, 1) }).toEqual({ port, allowed: !(await refused(port)) });
    expect(fetchAllows(10_078, 3)).toBe(false);
    expect(fetchAllows(10_081, 4)).toBe(true);
  });
});
