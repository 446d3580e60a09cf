import { freePort, launch, SERVICE_NODE_FLAGS, TestInfra, waitFor, type ManagedProcess } from '@am/testing';
import { builtInUniverse } from '@am/universes';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const root = join(__dirname, '..', '..');
const OPERATOR = 'am://user/the-operator';
/** 5,200 leaves with a 10 kB note each: an export of about 55 MB. */
const LEAVES = 5200;
const NOTE = 10_000;
const MB = 1024 * 1024;

/** Resident and peak resident memory of a process, in bytes (/proc/<pid>/status). */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/**
 * Issue 18: an export larger than any message, through REST, with the services as their own
 * processes so that each one's memory can be read. The export is streamed from policy's tree to
 * the HTTP client (policy writes it in pieces, the bus carries a window of chunks, the gateway
 * sends each as it arrives), so neither process holds the 55 MB document.
 */
describe('a whole-tree export of 55 MB through REST (services as processes)', () => {
  let infra: TestInfra;
  let policy: ManagedProcess;
  let gateway: ManagedProcess;
  let gw: string;
  let exportFile: string;

  const app = (name: string, env: Record<string, string>) =>
    launch(process.execPath, [...SERVICE_NODE_FLAGS, join(root, 'dist/apps', name, 'src/main.js')], {
      logFile: join(infra.dir, `${name}.log`),
      env: { PATH: process.env.PATH, ...infra.env(name as 'policy', { AM_LOG_LEVEL: 'warn', ...env }) },
    });

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'pipe' });
    infra = await TestInfra.start();
    const universe = builtInUniverse('bootstrap') as { children: { path: string; children: unknown[] | null }[] };
    const data = universe.children.find((c) => c.path === 'am://data')!;
    const leaves = Array.from({ length: LEAVES }, (_, i) => ({ path: `am://data/bulk/n${i}`, meta: [{ tag: 'leaf' }, { tag: 'note', data: `${i}:`.padEnd(NOTE, 'x') }], children: null }));
    data.children = [...(data.children ?? []), { path: 'am://data/bulk', meta: [], children: leaves }];
    const file = join(infra.dir, 'bulk.json');
    await writeFile(file, JSON.stringify(universe));
    exportFile = join(infra.dir, 'export.json');
    const port = await freePort();
    policy = app('policy', { AM_BOOT_UNIVERSE: file });
    gateway = app('gateway', { AM_GATEWAY_PORT: String(port), AM_GATEWAY_TLS: 'false' });
    gw = `http://127.0.0.1:${port}`;
    await waitFor('policy to boot the bulk universe', async () => (await fetch(`${gw}/v1/nodes/data/bulk?limit=1`, { headers: { authorization: `Bearer ${OPERATOR}` } })).ok, 60_000);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([gateway?.stop(), policy?.stop()]);
    await infra?.stop();
  });

  it('streams: every node arrives, and neither the gateway nor policy grows by anything like the document', async () => {
    // Settled memory before: the gateway has served next to nothing; policy holds the tree.
    await new Promise((r) => setTimeout(r, 1000));
    const before = { gateway: await memoryOf(gateway.pid), policy: await memoryOf(policy.pid) };
    let policyPeak = before.policy.rss;
    const sampler = setInterval(() => void memoryOf(policy.pid).then((m) => (policyPeak = Math.max(policyPeak, m.rss))).catch(() => undefined), 25);
    const started = Date.now();
    const res = await fetch(`${gw}/v1/universe`, { headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBeNull(); // chunked: sent as written
    expect(Number(res.headers.get('am-revision'))).toBeGreaterThan(0);
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(exportFile));
    clearInterval(sampler);
    const seconds = (Date.now() - started) / 1000;
    const size = (await stat(exportFile)).size;
    expect(size).toBeGreaterThan(50 * MB);
    const text = await readFile(exportFile, 'utf8');
    const exported = JSON.parse(text);
    const bulk = exported.children.find((c: { path: string }) => c.path === 'am://data').children.find((c: { path: string }) => c.path === 'am://data/bulk');
    expect(bulk.children).toHaveLength(LEAVES);
    const note = bulk.children.find((c: { path: string }) => c.path === 'am://data/bulk/n1013').meta.find((a: { tag: string }) => a.tag === 'note').data as string;
    expect(note === '1013:'.padEnd(NOTE, 'x')).toBe(true);
    const after = { gateway: await memoryOf(gateway.pid), policy: await memoryOf(policy.pid) };
    // Held whole, the document alone would add more than its size (as bytes, then as text): the
    // gateway's peak grows by less than that (the window, the HTTP stack, garbage not yet collected).
    expect(after.gateway.peak - before.gateway.rss).toBeLessThan(0.75 * size);
    // Policy's: the export's node list and the window, not the document.
    expect(policyPeak - before.policy.rss).toBeLessThan(0.75 * size);
    console.log(`export of ${(size / MB).toFixed(1)} MB in ${seconds.toFixed(1)} s (${(size / MB / seconds).toFixed(0)} MB/s); gateway peak ${(after.gateway.peak / MB).toFixed(0)} MB (idle ${(before.gateway.rss / MB).toFixed(0)} MB), policy +${((policyPeak - before.policy.rss) / MB).toFixed(0)} MB over ${(before.policy.rss / MB).toFixed(0)} MB`);
  }, 120_000);

  it('am export writes the same document to stdout as it arrives', async () => {
    const cli = spawn(process.execPath, [join(root, 'dist/apps/cli/src/main.js'), 'export'], { env: { PATH: process.env.PATH, ACCESS_MANAGER_URL: gw, AM_USER: OPERATOR, AM_DATA_DIR: infra.dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    const hash = createHash('sha256');
    let bytes = 0;
    cli.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    let err = '';
    cli.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((resolve) => cli.once('exit', resolve));
    expect([code, err]).toEqual([0, '']);
    const expected = await readFile(exportFile);
    expect(bytes).toBe(expected.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(expected).digest('hex'));
  }, 120_000);

  it('the file imports back through REST, and exports again to the same document', async () => {
    const text = await readFile(exportFile);
    const r = await fetch(`${gw}/v1/universe?force=true`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' }, body: text });
    expect([r.status, ((await r.json()) as { mode: string }).mode]).toEqual([200, 'import']);
    const revision = Number(r.headers.get('am-revision'));
    const again = await fetch(`${gw}/v1/universe`, { headers: { authorization: `Bearer ${OPERATOR}`, 'am-consistency': String(revision) } });
    expect(again.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await again.arrayBuffer())).digest('hex')).toBe(createHash('sha256').update(text).digest('hex'));
  }, 180_000);
});
