// Decision engine on a generated 100k-node universe (10k principals, 1k roles, depth ≤ 8):
// build time, memory per node, single-threaded decisions/s and per-decision latency, and the cost
// of incremental changes. The last stdout line is the JSON summary read by scripts/bench.mjs.
import { AccessEngine, NodeRef } from '@am/engine';
import { Annotation, Op, Operation } from '@am/model';
import { generateUniverse, prng } from '@am/testing';
import { median } from './support/load';

const NOW = 1_750_000_000_000;
const BATCH = 1 << 20;
const LATENCY_SAMPLES = 200_000;

const gc = (globalThis as { gc?: () => void }).gc;
function heapUsed(): number {
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;

interface Workload {
  agents: NodeRef[];
  targets: NodeRef[];
  ops: Operation[];
  agentPaths: string[];
  targetPaths: string[];
}

/** Mixed checks: any principal against data (50%), users (30%) and roles (20%), mostly VIEW/READ. */
function makeWorkload(engine: AccessEngine, principals: string[], paths: string[], random: () => number): Workload {
  const byRoot = (root: string) => paths.filter((p) => p.startsWith(root));
  const pools = [byRoot('am://data/'), byRoot('am://user/'), byRoot('am://role/')];
  const opMix: Operation[] = [Op.VIEW, Op.VIEW, Op.VIEW, Op.VIEW, Op.READ, Op.READ, Op.READ, Op.WRITE, Op.ADMIN, Op.VOUCHFOR];
  const w: Workload = { agents: [], targets: [], ops: [], agentPaths: [], targetPaths: [] };
  for (let i = 0; i < BATCH; i++) {
    const agent = principals[Math.floor(random() * principals.length)];
    const r = random();
    const pool = pools[r < 0.5 ? 0 : r < 0.8 ? 1 : 2];
    const target = pool[Math.floor(random() * pool.length)];
    w.agentPaths.push(agent);
    w.targetPaths.push(target);
    w.agents.push(engine.node(agent) as NodeRef);
    w.targets.push(engine.node(target) as NodeRef);
    w.ops.push(opMix[Math.floor(random() * opMix.length)]);
  }
  return w;
}

function throughput(engine: AccessEngine, w: Workload): { perSecond: number; allowedShare: number } {
  let best = Infinity;
  let allowed = 0;
  for (let pass = 0; pass < 3; pass++) {
    allowed = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) if (engine.isAllowedRef(w.agents[i], w.targets[i], w.ops[i], NOW)) allowed++;
    best = Math.min(best, ms(start));
  }
  return { perSecond: BATCH / (best / 1000), allowedShare: allowed / BATCH };
}

function throughputByPath(engine: AccessEngine, w: Workload): number {
  const n = BATCH >> 2;
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (engine.isAllowed(w.agentPaths[i], w.targetPaths[i], w.ops[i], NOW)) sink++;
  const elapsed = ms(start);
  if (sink < 0) console.log(sink);
  return n / (elapsed / 1000);
}

function latencies(engine: AccessEngine, w: Workload): { p50: number; p99: number; p999: number } {
  const samples = new Float64Array(LATENCY_SAMPLES);
  let sink = 0;
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const j = (i * 7919) % BATCH;
    const start = process.hrtime.bigint();
    if (engine.isAllowedRef(w.agents[j], w.targets[j], w.ops[j], NOW)) sink++;
    samples[i] = Number(process.hrtime.bigint() - start);
  }
  if (sink < 0) console.log(sink);
  samples.sort();
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999) };
}

/** The cost of one committed change: the mutation itself, then the first decision below it. */
function changeCost(engine: AccessEngine, paths: string[], annotationFor: (i: number) => Annotation, probe: (path: string) => [string, string]): { applyUs: number; firstDecisionUs: number } {
  const apply: number[] = [];
  const first: number[] = [];
  for (let i = 0; i < 21; i++) {
    const path = paths[i % paths.length];
    const annotation = annotationFor(i);
    let start = process.hrtime.bigint();
    engine.putAnnotation(path, annotation);
    apply.push(ms(start) * 1000);
    const [agent, target] = probe(path);
    start = process.hrtime.bigint();
    engine.isAllowed(agent, target, Op.READ, NOW);
    first.push(ms(start) * 1000);
    engine.deleteAnnotation(path, annotation.tag, annotation.unique);
    engine.warm(NOW);
  }
  return { applyUs: median(apply), firstDecisionUs: median(first) };
}

function main(): void {
  const heapBefore = heapUsed();
  let start = process.hrtime.bigint();
  const generated = generateUniverse(100_000, 1);
  const generateMs = ms(start);
  const paths = generated.universe.nodes.map((n) => n.path);
  const { principals, dataDirectories, orgDirectories } = generated;

  start = process.hrtime.bigint();
  const engine = AccessEngine.fromUniverse(generated.universe);
  const indexMs = ms(start);
  start = process.hrtime.bigint();
  engine.warm(NOW);
  const warmMs = ms(start);
  (generated as { universe?: unknown }).universe = undefined;
  const bytesPerNode = (heapUsed() - heapBefore) / engine.size;

  const random = prng(2);
  const workload = makeWorkload(engine, principals, paths, random);
  throughput(engine, workload); // JIT warm-up
  const { perSecond, allowedShare } = throughput(engine, workload);
  const byPath = throughputByPath(engine, workload);
  const lat = latencies(engine, workload);

  let nextUnique = 10n ** 15n;
  const header = () => ({ unique: nextUnique++, version: 1, startMillis: 0, endMillis: 0 });
  const someUser = (org: string) => principals.find((p) => p.startsWith(`${org}/`)) as string;
  const roleOnOrg = changeCost(
    engine,
    orgDirectories,
    () => ({ tag: 'applied-role', ...header(), role: 'am://role/g3/r7' }),
    (org) => [someUser(org), 'am://data/org0/n0'],
  );
  const bigDataDirs = dataDirectories.filter((d) => d.split('/').length === 4); // am://data/orgN/nK
  const aceOnData = changeCost(
    engine,
    bigDataDirs,
    () => ({ tag: 'ace', ...header(), op: Op.READ, local: false, agent: false, acls: [{ roles: ['am://role/g1/r1'] }] }),
    (dir) => [principals[0], paths.find((p) => p.startsWith(`${dir}/`) && p.split('/').length > 6) ?? dir],
  );
  const subtreeOfOrg = principals.length / orgDirectories.length + 111;
  const dataSubtree = Math.round(paths.filter((p) => p.startsWith('am://data/')).length / bigDataDirs.length);

  const lines = [
    `nodes ${engine.size}, principals ${principals.length}, allowed share ${(allowedShare * 100).toFixed(1)}%`,
    `generate ${generateMs.toFixed(0)} ms, index ${indexMs.toFixed(0)} ms, warm ${warmMs.toFixed(0)} ms, ${bytesPerNode.toFixed(0)} B/node`,
    `decisions ${Math.round(perSecond).toLocaleString('en-US')}/s (node refs), ${Math.round(byPath).toLocaleString('en-US')}/s (paths)`,
    `latency p50 ${lat.p50} ns, p99 ${lat.p99} ns, p99.9 ${lat.p999} ns`,
    `role on an org (${subtreeOfOrg} nodes below): apply ${roleOnOrg.applyUs.toFixed(1)} µs, first decision ${roleOnOrg.firstDecisionUs.toFixed(1)} µs`,
    `ACE on a data dir (~${dataSubtree} nodes below): apply ${aceOnData.applyUs.toFixed(1)} µs, first decision ${aceOnData.firstDecisionUs.toFixed(1)} µs`,
  ];
  for (const l of lines) console.log(l);
  console.log(
    JSON.stringify({
      title: 'decision engine, generated universe of 100k nodes (10k principals, 1k roles, depth ≤ 8)',
      metrics: [
        { name: 'build: index', value: indexMs, unit: 'ms' },
        { name: 'build: derived state for every node', value: warmMs, unit: 'ms' },
        { name: 'memory per node', value: bytesPerNode, unit: 'B' },
        { name: 'decisions/s (node handles)', value: perSecond, unit: '1/s' },
        { name: 'decisions/s (paths)', value: byPath, unit: '1/s' },
        { name: 'decision p50', value: lat.p50, unit: 'ns' },
        { name: 'decision p99', value: lat.p99, unit: 'ns' },
        { name: 'decision p99.9', value: lat.p999, unit: 'ns' },
        { name: `apply role on an org dir (${subtreeOfOrg} nodes below)`, value: roleOnOrg.applyUs, unit: 'µs' },
        { name: 'first decision below it afterwards', value: roleOnOrg.firstDecisionUs, unit: 'µs' },
        { name: `add ACE on a data dir (~${dataSubtree} nodes below)`, value: aceOnData.applyUs, unit: 'µs' },
        { name: 'first decision below that afterwards', value: aceOnData.firstDecisionUs, unit: 'µs' },
        { name: 'allowed share of the mix', value: allowedShare * 100, unit: '%' },
      ],
      notes:
        'Single thread, one process per run. Mix: random principal × target (50% data, 30% users, 20% roles), ops 40% VIEW, 30% READ, 10% each WRITE/ADMIN/VOUCHFOR. ' +
        'Latency = individual calls timed with process.hrtime.bigint (includes ~20–40 ns of timer overhead). Memory = heap growth over generated universe + engine after GC, per node, with the input universe dropped. ' +
        'A change invalidates the affected subtree (O(subtree)); its derived state is recomputed lazily, so the first decision below pays O(depth).',
    }),
  );
}

main();
