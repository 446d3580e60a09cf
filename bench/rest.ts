// REST POST /v1/check and GET /v1/nodes/... through the gateway (NATS → policy → engine) against
// a bare Fastify server answering the same routes, in the same run (autocannon, 64 connections).
import { TestInfra, freePort, waitFor } from '@am/testing';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { launchApp, loadMetrics } from './support/apps';
import { autocannon, type LoadResult } from './support/load';

const SECONDS = 8;
const CONNECTIONS = 64;
const ALICE = 'am://user/hpe/bu1/alice';

async function main() {
  const infra = await TestInfra.start();
  const barePort = await freePort();
  const bare = fork(join(__dirname, 'support', 'bare-fastify.js'), [String(barePort)], { stdio: 'ignore' });
  try {
    const gatewayPort = await freePort();
    const policy = launchApp(infra, 'policy', { AM_BOOT_UNIVERSE: 'new_sample' });
    const identity = launchApp(infra, 'identity');
    const gateway = launchApp(infra, 'gateway', { AM_GATEWAY_PORT: String(gatewayPort), AM_GATEWAY_TLS: 'false' });
    await new Promise((resolve) => bare.once('message', resolve));
    const gw = `http://127.0.0.1:${gatewayPort}`;
    const base = `http://127.0.0.1:${barePort}`;
    const auth = { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' };
    await waitFor('gateway and policy', async () => (await fetch(`${gw}/v1/nodes/user/hpe/bu1/alice`, { headers: auth })).ok, 30_000);

    const check = { method: 'POST', body: JSON.stringify({ target: 'am://user/hpe/bu1/bob', ops: ['VIEW'] }), headers: auth };
    // A JWT caller: the yoyodyne id-plugin vouches for its user bob (demo identities cannot be bob: he has a plugin).
    const vouch = async () => {
      const r = await fetch(`${gw}/v1/credentials/vouch`, { method: 'POST', headers: { ...auth, authorization: 'Bearer am://workload/yoyodyne/id-plugin' }, body: JSON.stringify({ principal: 'am://user/yoyodyne/bob' }) });
      return r.ok ? ((await r.json()) as { credential: string }).credential : undefined;
    };
    let jwt: string | undefined;
    await waitFor('identity to vouch', async () => (jwt = await vouch()) !== undefined, 30_000);
    const checkJwt = { method: 'POST', body: JSON.stringify({ target: 'am://user/yoyodyne/bob', ops: ['VIEW'] }), headers: { ...auth, authorization: `Bearer ${jwt}` } };
    const node = { headers: auth };
    const run = async (url: string, opts: object) => {
      await autocannon(url, { connections: CONNECTIONS, seconds: 2, ...opts });
      return autocannon(url, { connections: CONNECTIONS, seconds: SECONDS, ...opts });
    };
    const results: Record<string, LoadResult> = {
      'check gateway': await run(`${gw}/v1/check`, check),
      'check gateway jwt': await run(`${gw}/v1/check`, checkJwt),
      'check bare': await run(`${base}/v1/check`, check),
      'node gateway': await run(`${gw}/v1/nodes/user/hpe/bu1/alice`, node),
      'node bare': await run(`${base}/v1/nodes/user/hpe/bu1/alice`, node),
    };
    for (const [name, r] of Object.entries(results)) if (r.errors) throw new Error(`${name}: ${r.errors} errors`);
    await gateway.stop();
    await identity.stop();
    await policy.stop();
    console.log(
      JSON.stringify({
        title: `REST v1 through the gateway vs bare Fastify (new_sample, autocannon ${CONNECTIONS} connections, ${SECONDS} s each)`,
        metrics: [
          ...loadMetrics('POST /v1/check gateway', results['check gateway']),
          ...loadMetrics('POST /v1/check bare', results['check bare']),
          { name: 'check gateway / bare ratio', value: results['check gateway'].rps / results['check bare'].rps, unit: '' },
          ...loadMetrics('POST /v1/check gateway, JWT caller', results['check gateway jwt']),
          { name: 'check JWT / demo identity ratio', value: results['check gateway jwt'].rps / results['check gateway'].rps, unit: '' },
          ...loadMetrics('GET /v1/nodes/… gateway', results['node gateway']),
          ...loadMetrics('GET /v1/nodes/… bare', results['node bare']),
          { name: 'nodes gateway / bare ratio', value: results['node gateway'].rps / results['node bare'].rps, unit: '' },
        ],
        notes:
          'Callers: a demonstration identity (alice), and a JWT vouched by the yoyodyne plugin for its user bob (verified by the gateway and again by policy, each caching it until it expires). Gateway and policy are separate processes (one each), with etcd, NATS, the bare server and the load generator on the same 2 cores; the gateway path includes a NATS request/reply to policy and the decision.',
      }),
    );
  } finally {
    bare.kill('SIGTERM');
    await infra.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
