// The pki service end to end: CSR signings/s through NATS (policy authorization + etcd record and
// event per certificate), P-256 and RSA-2048 CSRs; and how long a revocation takes to reach a
// verifier's PkiView (the gateway's view) — request sent → the view rejects the certificate.
import { caContract, revokeContract, signCsrContract, type BusClient } from '@am/bus';
import { PkiView } from '@am/pki-state';
import { connectBus } from '@am/runtime';
import { logTail, TestInfra, waitFor, type ManagedProcess } from '@am/testing';
import { launchApp } from './support/apps';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './support/load';

const SECONDS_PER_CASE = 5;
const IN_FLIGHT = 32;
const WARM_UP_SECONDS = 3;
const REVOCATIONS = 30;
const ALICE = 'am://user/hpe/bu1/alice';

function opensslCsr(dir: string, name: string, keyArgs: string[]): string {
  const r = spawnSync('openssl', ['req', '-new', ...keyArgs, '-nodes', '-keyout', join(dir, `${name}.key`), '-subj', `/CN=${name}`, '-out', join(dir, `${name}.csr`)]);
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return readFileSync(join(dir, `${name}.csr`), 'utf8');
}

/** Keeps IN_FLIGHT signings outstanding for SECONDS_PER_CASE; returns completed signings per second. */
async function signRate(bus: BusClient, csr: string, seconds = SECONDS_PER_CASE): Promise<number> {
  const request = () => bus.request(signCsrContract, { credential: ALICE, principal: ALICE, csr });
  let done = 0;
  const end = Date.now() + seconds * 1000;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < end) {
        await request();
        done++;
      }
    }),
  );
  return done / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-pki-service-'));
  const ecCsr = opensslCsr(dir, 'ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  const rsaCsr = opensslCsr(dir, 'rsa', ['-newkey', 'rsa:2048']);
  const infra = await TestInfra.start();
  const procs: ManagedProcess[] = [];
  const etcd = infra.etcdClient();
  const view = new PkiView(etcd, '/am/', { recordKey: infra.records.pki });
  try {
    for (const [service, extra] of [['policy', { AM_BOOT_UNIVERSE: 'new_sample' }], ['pki', {}]] as const) {
      procs.push(launchApp(infra, service, extra));
    }
    const gw = infra.env('gateway');
    const conn = await connectBus({ AM_NATS_URL: [infra.nats.url], AM_NATS_USER: gw.AM_NATS_USER, AM_NATS_PASSWORD: gw.AM_NATS_PASSWORD }, 'bench', 30_000);
    await waitFor('pki and policy', async () => !!(await conn.bus.request(caContract, {}, 1000)) && !!(await conn.bus.request(signCsrContract, { credential: ALICE, principal: ALICE, csr: ecCsr }, 2000)), 60_000, 200).catch((err: Error) => {
      const logs = ['policy', 'pki'].map((s) => `--- ${s}.log\n${logTail(join(infra.dir, `${s}.log`))}`);
      throw new Error(`${err.message}\n${logs.join('\n')}`);
    });
    await view.start();

    // Warm everything up (JIT in every process, etcd, NATS) with both kinds, in flight as measured.
    await signRate(conn.bus, ecCsr, WARM_UP_SECONDS);
    await signRate(conn.bus, rsaCsr, WARM_UP_SECONDS);
    const ec = await signRate(conn.bus, ecCsr);
    const rsa = await signRate(conn.bus, rsaCsr);

    // Revocation → verifier: one at a time, from sending the request until the view rejects the certificate.
    const latencies: number[] = [];
    for (let i = 0; i < REVOCATIONS; i++) {
      const cert = await conn.bus.request(signCsrContract, { credential: ALICE, principal: ALICE, csr: ecCsr });
      await waitFor('the certificate at the view', () => view.verify(cert.certificate).ok, 5000, 1);
      const seen = new Promise<bigint>((resolve) => {
        const off = view.onChange(() => {
          if (!view.verify(cert.certificate).ok) {
            off();
            resolve(process.hrtime.bigint());
          }
        });
      });
      const t0 = process.hrtime.bigint();
      await conn.bus.request(revokeContract, { credential: ALICE, serial: cert.serial });
      latencies.push(Number((await seen) - t0) / 1e6);
    }
    await conn.close();

    console.log(
      JSON.stringify({
        title: `pki service over NATS: CSR signing (${IN_FLIGHT} in flight) and revocation reaching a verifier's PkiView`,
        metrics: [
          { name: 'P-256 CSR signings/s (end to end)', value: ec, unit: 'certs/s' },
          { name: 'RSA-2048 CSR signings/s (end to end)', value: rsa, unit: 'certs/s' },
          { name: 'revocation → verifier view, median', value: median(latencies), unit: 'ms' },
          { name: 'revocation → verifier view, max', value: Math.max(...latencies), unit: 'ms' },
        ],
        notes:
          `policy (new_sample) and pki as separate processes from dist/, real etcd and NATS, one P-256 CA; the client in the bench process keeps ${IN_FLIGHT} requests in flight for ${SECONDS_PER_CASE} s per case after ${WARM_UP_SECONDS} s of warm-up with each kind. ` +
          'Each signing: vouch authorization round trip to policy, CSR parse + verify, issue, etcd transaction (certificate record + event), NATS event. ' +
          `Revocation: ${REVOCATIONS} sequential revocations (policy check, CRL re-signed, etcd transaction), timed from the request until a PkiView watching etcd rejects the certificate. Everything shares the 2 cores.`,
      }),
    );
  } finally {
    await view.stop();
    etcd.close();
    for (const p of procs) await p.stop();
    await infra.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
