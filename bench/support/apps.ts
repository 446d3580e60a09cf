import { launch, type ManagedProcess, type ServiceName, type TestInfra } from '@am/testing';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadResult } from './load';

/**
 * One of the built services as its own process against `infra`, logging (at warn) into infra's
 * directory. `AM_BENCH_CPU_PROF=identity,policy` runs those services with --cpu-prof: a
 * .cpuprofile per process in AM_BENCH_CPU_PROF_DIR (default the OS temporary directory) when
 * the bench stops them.
 */
export function launchApp(infra: TestInfra, name: ServiceName, extra: Record<string, string> = {}): ManagedProcess {
  const profiled = (process.env.AM_BENCH_CPU_PROF ?? '').split(',').includes(name);
  const prof = profiled ? ['--cpu-prof', `--cpu-prof-dir=${process.env.AM_BENCH_CPU_PROF_DIR ?? tmpdir()}`] : [];
  return launch(process.execPath, [...prof, join(__dirname, '..', '..', 'apps', name, 'src', 'main.js')], {
    logFile: join(infra.dir, `${name}.log`),
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
