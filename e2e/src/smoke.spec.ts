import { waitFor } from '@am/testing';
import { startStack, type TestStack } from './stack';

describe('full stack smoke test', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  const readyz = async () => {
    const res = await fetch(`${stack.gatewayUrl}/readyz`);
    return { status: res.status, body: (await res.json()) as { status: string; down?: string[]; checks: Record<string, string> } };
  };

  it('serves liveness', async () => {
    const res = await fetch(`${stack.gatewayUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('is ready when etcd, NATS and every service answer', async () => {
    const r = await readyz();
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ready', checks: { etcd: 'up', nats: 'up', policy: 'up', identity: 'up', pki: 'up' } });
  });

  it('reports 503 naming etcd while etcd is down, and recovers when it is back', async () => {
    await stack.infra.etcd.stop();
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('unavailable');
    expect(down.body.down).toEqual(['etcd']);
    expect(down.body.checks.nats).toBe('up');

    await stack.infra.etcd.start();
    await waitFor('readyz to recover', async () => (await readyz()).status === 200);
  });

  it('reports NATS and the services down while NATS is down', async () => {
    await stack.infra.nats.stop();
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.down).toEqual(expect.arrayContaining(['nats', 'policy', 'identity', 'pki']));
    expect(down.body.down).not.toContain('etcd');
    await stack.infra.nats.start();
    await waitFor('readyz to recover after NATS restart', async () => (await readyz()).status === 200, 20_000);
  });

  it('exposes Prometheus metrics for every service, with HTTP route metrics at the gateway', async () => {
    expect(stack.metricsUrls.length).toBe(4);
    for (const url of stack.metricsUrls) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('process_cpu_user_seconds_total');
    }
    const gw = await (await fetch(stack.metricsUrls[3])).text();
    expect(gw).toMatch(/am_http_request_duration_seconds_count\{[^}]*route="\/readyz"/);
  });

  it('boots the configured universe into the empty store', () => {
    const engine = stack.policy.projection.engine;
    expect(engine.node('am://user/hpe/bu1/alice')).toBeDefined();
    expect(stack.policy.projection.revision).toBeGreaterThan(0);
  });
});
