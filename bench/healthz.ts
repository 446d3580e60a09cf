// Gateway GET /healthz requests/s against a bare Fastify server answering the same route, both
// measured in the same run with the same load (autocannon, 64 connections, separate processes).
import { TestInfra, freePort, waitFor } from '@am/testing';
import { launchApp } from './support/apps';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { autocannon, type LoadResult } from './support/load';

const SECONDS = 8;
const CONNECTIONS = 64;

async function main() {
  const infra = await TestInfra.start();
  const bare = fork(join(__dirname, 'support', 'bare-fastify.js'), [String(await freePort())], { stdio: 'ignore' });
  try {
    const gatewayPort = await freePort();
    const gateway = launchApp(infra, 'gateway', { AM_GATEWAY_PORT: String(gatewayPort) });
    const bareUrl = await new Promise<string>((resolve) => bare.once('message', () => resolve(`http://127.0.0.1:${bare.spawnargs.at(-1)}/healthz`)));
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}/healthz`;
    await waitFor('gateway', async () => (await fetch(gatewayUrl)).ok);

    // Warm both up, then measure them back to back.
    await autocannon(gatewayUrl, { connections: CONNECTIONS, seconds: 2 });
    await autocannon(bareUrl, { connections: CONNECTIONS, seconds: 2 });
    const g: LoadResult = await autocannon(gatewayUrl, { connections: CONNECTIONS, seconds: SECONDS });
    const b: LoadResult = await autocannon(bareUrl, { connections: CONNECTIONS, seconds: SECONDS });
    if (g.errors || b.errors) throw new Error(`errors during the run: gateway ${g.errors}, bare ${b.errors}`);
    await gateway.stop();

    console.log(
      JSON.stringify({
        title: `GET /healthz, gateway vs bare Fastify (autocannon, ${CONNECTIONS} connections, ${SECONDS} s each)`,
        metrics: [
          { name: 'gateway requests/s', value: g.rps, unit: 'req/s' },
          { name: 'bare Fastify requests/s', value: b.rps, unit: 'req/s' },
          { name: 'gateway / bare ratio', value: g.rps / b.rps, unit: '' },
          { name: 'gateway p50 latency', value: g.p50ms, unit: 'ms' },
          { name: 'gateway p99 latency', value: g.p99ms, unit: 'ms' },
          { name: 'bare p50 latency', value: b.p50ms, unit: 'ms' },
          { name: 'bare p99 latency', value: b.p99ms, unit: 'ms' },
        ],
        notes:
          'Gateway = NestJS 11 on the Fastify adapter with the request-metrics hooks, running as its own process against a real etcd and NATS; ' +
          'bare = Fastify alone in its own process. Load generator, servers and etcd/NATS share the 2 cores.',
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
