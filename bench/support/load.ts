import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface LoadResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

const AUTOCANNON = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'autocannon');

/**
 * Drives `url` with autocannon in its own process (so the load generator does not share an event
 * loop with the server under test) and returns requests/s and latency percentiles.
 */
export function autocannon(url: string, options: { connections: number; seconds: number; method?: string; body?: string; headers?: Record<string, string> }): Promise<LoadResult> {
  const args = ['-j', '-c', String(options.connections), '-d', String(options.seconds)];
  if (options.method) args.push('-m', options.method);
  if (options.body) args.push('-b', options.body);
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push('-H', `${k}=${v}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    execFile(AUTOCANNON, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(err);
      const r = JSON.parse(stdout) as { requests: { average: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number };
      resolve({ rps: r.requests.average, p50ms: r.latency.p50, p99ms: r.latency.p99, errors: r.errors + r.non2xx });
    });
  });
}

/** The value at fraction `p` (0–1) of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** The median of samples in any order. */
export function median(xs: readonly number[]): number {
  return percentile(Float64Array.from(xs).sort(), 0.5);
}

/**
 * Closed loop in this process: keeps `inFlight` calls outstanding for `seconds` (each starts as
 * the previous one of its lane ends). Returns calls per second and every call's latency (ms), ascending.
 */
export async function closedLoop(call: () => Promise<unknown>, inFlight: number, seconds: number): Promise<{ perSecond: number; latencies: Float64Array }> {
  const samples: number[] = [];
  const end = Date.now() + seconds * 1000;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < end) {
        const t = process.hrtime.bigint();
        await call();
        samples.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return { perSecond: samples.length / elapsed, latencies: Float64Array.from(samples).sort() };
}
