// Requests/s at the gateway over mTLS (client certificate → attested x509 credential → policy
// verifies it again) vs plain HTTP with a bearer credential, on the same route (GET /v1/whoami:
// NATS request/reply to policy, caller resolution). Also HTTPS without a client certificate, to
// separate the TLS cost from the certificate cost. autocannon (programmatic, with tlsOptions for
// the client certificate) in a forked process, 64 keep-alive connections.
import { TestInfra, freePort, waitFor } from '@am/testing';
import { launchApp, loadMetrics } from './support/apps';
import type { LoadResult } from './support/load';
import { fork } from 'node:child_process';
import { Agent, request } from 'node:https';

const SECONDS = 8;
const CONNECTIONS = 64;
const ALICE = 'am://user/hpe/bu1/alice';

interface LoadSpec {
  url: string;
  headers?: Record<string, string>;
  tls?: { ca: string; cert?: string; key?: string };
  seconds: number;
}

/** In the forked child: drive the URL, report the result to the parent. */
async function loadChild(spec: LoadSpec) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const autocannon = require('autocannon') as (opts: object) => Promise<{ requests: { average: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number }>;
  const r = await autocannon({ url: spec.url, connections: CONNECTIONS, duration: spec.seconds, headers: spec.headers, ...(spec.tls ? { tlsOptions: spec.tls } : {}) });
  process.send!({ rps: r.requests.average, p50ms: r.latency.p50, p99ms: r.latency.p99, errors: r.errors + r.non2xx } satisfies LoadResult);
}

function load(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--load', JSON.stringify(spec)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
  });
}

async function main() {
  const infra = await TestInfra.start();
  try {
    const port = await freePort();
    const tlsPort = await freePort();
    const procs = [
      launchApp(infra, 'policy', { AM_BOOT_UNIVERSE: 'new_sample' }),
      launchApp(infra, 'pki'),
      launchApp(infra, 'gateway', { AM_GATEWAY_PORT: String(port), AM_GATEWAY_TLS_PORT: String(tlsPort) }),
    ];
    const http = `http://127.0.0.1:${port}`;
    const https = `https://127.0.0.1:${tlsPort}`;
    const bearer = { authorization: `Bearer ${ALICE}` };
    await waitFor('gateway and policy', async () => (await fetch(`${http}/v1/whoami`, { headers: bearer })).ok, 30_000);
    let ca = '';
    await waitFor('the CA', async () => {
      const r = await fetch(`${http}/v1/pki/ca`);
      ca = r.ok ? await r.text() : '';
      return r.ok;
    }, 30_000);
    const issued = (await (await fetch(`${http}/v1/pki/issue`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ principal: ALICE }) })).json()) as {
      certificate: string;
      privateKey: string;
    };
    const mtls = { ca, cert: issued.certificate, key: issued.privateKey };
    // The HTTPS listener serves once the gateway has its certificate from the pki.
    await waitFor('the HTTPS listener as alice', () => whoamiOverTls(`${https}/v1/whoami`, mtls).then((p) => p === ALICE).catch(() => false), 30_000);

    const run = async (spec: Omit<LoadSpec, 'seconds'>) => {
      await load({ ...spec, seconds: 2 });
      return load({ ...spec, seconds: SECONDS });
    };
    const results = {
      plain: await run({ url: `${http}/v1/whoami`, headers: bearer }),
      mtls: await run({ url: `${https}/v1/whoami`, tls: mtls }),
      tlsBearer: await run({ url: `${https}/v1/whoami`, headers: bearer, tls: { ca } }),
    };
    for (const [name, r] of Object.entries(results)) if (r.errors) throw new Error(`${name}: ${r.errors} errors`);
    for (const p of procs.reverse()) await p.stop();
    console.log(
      JSON.stringify({
        title: `GET /v1/whoami at the gateway: mTLS client certificate vs plain HTTP bearer (autocannon ${CONNECTIONS} keep-alive connections, ${SECONDS} s each)`,
        metrics: [
          ...loadMetrics('plain HTTP, bearer', results.plain),
          ...loadMetrics('HTTPS mTLS, client certificate', results.mtls),
          ...loadMetrics('HTTPS, bearer (no client certificate)', results.tlsBearer),
          { name: 'mTLS / plain ratio', value: results.mtls.rps / results.plain.rps, unit: '' },
        ],
        notes:
          'Caller alice: a demonstration identity on the bearer paths, a PKI certificate (ECDSA P-256) on mTLS. On mTLS the gateway verifies the certificate once per connection and trust-state change (PkiView), attests it (ECDSA signature reused for 20 s per connection) and policy verifies each new attested credential (attestation signature, then the chain; results cached until the trust state moves or the attestation ages out). Gateway, policy and pki are separate processes with etcd, NATS and the load generator on the same 2 cores.',
      }),
    );
  } finally {
    await infra.stop();
  }
}

function whoamiOverTls(url: string, tls: { ca: string; cert: string; key: string }): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const agent = new Agent({ ...tls, keepAlive: false });
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(res.statusCode === 200 ? (JSON.parse(body) as { principal: string }).principal : undefined));
    });
    req.on('error', reject);
    req.end();
  });
}

if (process.argv[2] === '--load') {
  loadChild(JSON.parse(process.argv[3]) as LoadSpec).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
