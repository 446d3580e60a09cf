#!/usr/bin/env node
// Runs a named benchmark several times and appends the medians to bench/RESULTS.md.
//
//   npm run bench -- <name> [--runs N] [--no-record]
//
// A benchmark is bench/<name>.ts. Each run is a fresh process; its last stdout line must be JSON:
//   {"title": "...", "metrics": [{"name": "...", "value": 123, "unit": "req/s"}], "notes": "..."}
// The runner reports, per metric, the median over the runs and the min–max spread, together with
// the machine (CPU model, core count, Node version) and the commit measured.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--'));
const runsArg = args.indexOf('--runs');
const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 5;
const record = !args.includes('--no-record');
const available = readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''));

if (!name || !available.includes(name) || !Number.isInteger(runs) || runs < 1) {
  console.error(`usage: npm run bench -- <name> [--runs N] [--no-record]\nbenchmarks: ${available.join(', ')}`);
  process.exit(2);
}

execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
const script = path.join(root, 'dist/bench', `${name}.js`);
if (!existsSync(script)) throw new Error(`build did not produce ${script}`);

const results = [];
for (let i = 1; i <= runs; i++) {
  const r = spawnSync(process.execPath, ['--expose-gc', script], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) {
    console.error(r.stdout);
    console.error(`run ${i} of ${name} failed with status ${r.status}`);
    process.exit(1);
  }
  const last = r.stdout.trim().split('\n').pop();
  const parsed = JSON.parse(last);
  results.push(parsed);
  console.log(`run ${i}/${runs}: ${parsed.metrics.map((m) => `${m.name}=${fmt(m.value)}${m.unit ? ' ' + m.unit : ''}`).join(', ')}`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
function fmt(v) {
  if (typeof v !== 'number') return String(v);
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return Number(v.toPrecision(3)).toString();
}

const { title, notes } = results[0];
const rows = results[0].metrics.map((m) => {
  const values = results.map((r) => r.metrics.find((x) => x.name === m.name)?.value).filter((v) => typeof v === 'number');
  return `| ${m.name} | ${fmt(median(values))} | ${m.unit ?? ''} | ${fmt(Math.min(...values))} – ${fmt(Math.max(...values))} |`;
});
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'uncommitted';
  }
})();
const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
const section = [
  '',
  `## ${name}: ${title}`,
  '',
  `${new Date().toISOString().slice(0, 10)} · commit ${commit} · ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB · Node ${process.version} · median of ${runs} runs`,
  '',
  '| metric | median | unit | min – max |',
  '|---|---|---|---|',
  ...rows,
  ...(notes ? ['', notes] : []),
  '',
].join('\n');
console.log(section);
if (record) appendFileSync(path.join(root, 'bench/RESULTS.md'), section);
