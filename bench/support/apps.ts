import { launch, type ManagedProcess, type ServiceName, type TestInfra } from '@am/testing';
import { join } from 'node:path';
import type { LoadResult } from './load';

/** One of the built services as its own process against `infra`, logging (at warn) into infra's directory. */
export function launchApp(infra: TestInfra, name: ServiceName, extra: Record<string, string> = {}): ManagedProcess {
  return launch(process.execPath, [join(__dirname, '..', '..', 'apps', name, 'src', 'main.js')], {
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
