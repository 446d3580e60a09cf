import { launch, SERVICE_NODE_FLAGS, type ManagedProcess, type ServiceName, type TestInfra } from '@am/testing';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadResult } from './load';

/**
 * One of the built services as its own process against `infra`, with the stack's node flags,
 * logging (at warn) into infra's directory. `AM_BENCH_CPU_PROF=identity,policy` runs those
 * services with --cpu-prof: a .cpuprofile per process in AM_BENCH_CPU_PROF_DIR (default the OS
 * temporary directory) when the bench stops them. For looking into a run: AM_BENCH_NODE_FLAGS are passed to every service's
 * node (e.g. "--trace-gc"), and AM_BENCH_LOG_DIR keeps the service logs there, since infra's
 * directory is removed at the end.
 */
export function launchApp(infra: TestInfra, name: ServiceName, extra: Record<string, string> = {}): ManagedProcess {
  const profiled = (process.env.AM_BENCH_CPU_PROF ?? '').split(',').includes(name);
  const prof = profiled ? ['--cpu-prof', `--cpu-prof-dir=${process.env.AM_BENCH_CPU_PROF_DIR ?? tmpdir()}`] : [];
  const flags = (process.env.AM_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  return launch(process.execPath, [...SERVICE_NODE_FLAGS, ...flags, ...prof, join(__dirname, '..', '..', 'apps', name, 'src', 'main.js')], {
    logFile: join(process.env.AM_BENCH_LOG_DIR ?? infra.dir, `${name}.log`),
    env: { PATH: process.env.PATH, ...infra.env(name, { AM_LOG_LEVEL: 'warn', ...extra }) },
  });
}

/** The three figures of a load run, named after what was measured. */
export function loadMetrics(label: string, r: LoadResult) {
  return [
    { name: `${label} requests/s`, value: r.rps, unit: 'req/s' },
    { name: `${label} p50`, value: r.p50ms, unit: 'ms' },
    { name: `${label} p99`, value: r.p99ms, unit: 'ms' },
  ];
}
