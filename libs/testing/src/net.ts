import { readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

/** Lowest port handed out: above the well-known and common service ports. */
const LOWEST = 10_000;

/**
 * Ports at or above LOWEST that the Fetch standard's "bad port" list forbids: Node's `fetch`
 * refuses them outright ("bad port"), so a server there could never be probed or called with it.
 */
const FETCH_BAD_PORTS: ReadonlySet<number> = new Set([10_080]);

/** True when none of the `count` ports from `first` on is one `fetch` refuses. */
export function fetchAllows(first: number, count: number): boolean {
  for (let port = first; port < first + count; port++) if (FETCH_BAD_PORTS.has(port)) return false;
  return true;
}

/**
 * Where the kernel starts picking source ports for outgoing connections (Linux; 32768 elsewhere).
 * A port chosen below it cannot be taken by some test's client connection between the moment it
 * was found free and the moment a server binds it, as a port the OS hands out for `listen(0)` can.
 */
function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > LOWEST + 1000) return low;
  } catch {
    // not Linux: assume the IANA dynamic range's usual neighbour
  }
  return 32_768;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive ports that were all free on 127.0.0.1 a moment ago, chosen at
 * random below the ephemeral range (so concurrent test runs rarely pick the same ones), none of
 * them a port `fetch` refuses.
 */
export async function freePorts(count: number): Promise<number> {
  const highest = ephemeralStart() - count;
  for (let attempt = 0; attempt < 500; attempt++) {
    const first = LOWEST + Math.floor(Math.random() * (highest - LOWEST));
    let free = fetchAllows(first, count);
    for (let i = 0; i < count && free; i++) free = await bindable(first + i);
    if (free) return first;
  }
  throw new Error(`no ${count} consecutive free ports between ${LOWEST} and ${highest + count - 1}`);
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return freePorts(1);
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Polls `probe` until it returns true; rejects after `timeoutMs` naming what it waited for. */
export async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 15_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve().then(probe).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
