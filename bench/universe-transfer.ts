// Export of a generated 100k-node universe through REST, with policy and the gateway
// as their own processes: time, MB/s and each process's peak resident memory while it ran.
import { Tag, exportUniverseText } from '@am/model';
import { freePort, generateUniverse, TestInfra, waitFor } from '@am/testing';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launchApp } from './support/apps';

const NODES = 100_000;
const OPERATOR = 'am://user/bench-operator';
const MB = 1024 * 1024;

async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) * 1024;
}

/** Runs `work` while sampling the peak resident memory of each process (every 20 ms). */
async function sampled<T>(pids: number[], work: () => Promise<T>): Promise<{ value: T; ms: number; peaks: number[] }> {
  const peaks = await Promise.all(pids.map(rss));
  const timer = setInterval(() => pids.forEach((pid, i) => void rss(pid).then((v) => (peaks[i] = Math.max(peaks[i], v)), () => undefined)), 20);
  const t0 = process.hrtime.bigint();
  try {
    const value = await work();
    return { value, ms: Number(process.hrtime.bigint() - t0) / 1e6, peaks };
  } finally {
    clearInterval(timer);
  }
}

async function main() {
  const infra = await TestInfra.start();
  try {
    const { universe } = generateUniverse(NODES, 5);
    const unique = 10_000_000_000n;
    const header = { version: 1, startMillis: 0, endMillis: 0, data: '' };
    const operator = { path: OPERATOR, annotations: [{ tag: Tag.LEAF, unique, ...header }, { tag: 'principal', unique: unique + 1n, ...header }] };
    const file = join(infra.dir, 'universe.json');
    await writeFile(file, exportUniverseText({ nodes: [...universe.nodes, operator] }));
    const port = await freePort();
    const policy = launchApp(infra, 'policy', { AM_BOOT_UNIVERSE: file, AM_ALLOW_DEMO_IDENTITIES: 'true' });
    const gateway = launchApp(infra, 'gateway', { AM_GATEWAY_PORT: String(port), AM_GATEWAY_TLS: 'false' });
    const gw = `http://127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${OPERATOR}` };
    try {
      await waitFor('policy to boot 100k nodes', async () => (await fetch(`${gw}/v1/whoami`, { headers: auth })).ok, 90_000);
      await new Promise((r) => setTimeout(r, 1000));
      const pids = [gateway.pid, policy.pid];
      const idle = await Promise.all(pids.map(rss));
      const exported = await sampled(pids, async () => {
        const res = await fetch(`${gw}/v1/universe`, { headers: auth });
        if (!res.ok) throw new Error(`export: HTTP ${res.status}`);
        let bytes = 0;
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          bytes += chunk.length;
        }
        return { bytes };
      });
      const size = exported.value.bytes / MB;
      // The generated tree hides most of itself behind VIEW ACEs: a small document measures nothing.
      if (size < 10) throw new Error(`the export was only ${size.toFixed(2)} MB: the bench operator does not see the tree (give it View on am://)`);
      console.log(
        JSON.stringify({
          title: `Universe export through REST, ${NODES.toLocaleString('en-US')} nodes (policy and gateway as processes)`,
          metrics: [
            { name: 'export', value: exported.ms / 1000, unit: 's' },
            { name: 'export throughput', value: size / (exported.ms / 1000), unit: 'MB/s' },
            { name: 'export: gateway peak RSS over idle', value: (exported.peaks[0] - idle[0]) / MB, unit: 'MB' },
            { name: 'export: policy peak RSS over idle', value: (exported.peaks[1] - idle[1]) / MB, unit: 'MB' },
          ],
          notes: `document ${size.toFixed(1)} MB; idle RSS gateway ${(idle[0] / MB).toFixed(0)} MB, policy ${(idle[1] / MB).toFixed(0)} MB (tree loaded). The export streams. Import through REST is not measured yet (the generated universe gives the bench operator no Admin on am://; incremental upload is not done).`,
        }),
      );
    } finally {
      await Promise.all([gateway.stop(), policy.stop()]);
    }
  } finally {
    await infra.stop();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
