import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { waitFor } from './net';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last line of defence: no server started by the harness outlives the test process. */
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Node flags every service process runs with: the local stack and the benches pass them, and
 * docker-compose.yml repeats them. The old generation starts with room for 128 MB: V8 begins a
 * major GC whenever the old generation comes within the young generation's size of its limit, and
 * with a limit of ~1.7 × a live heap of ~27 MB that meant one every 1–2 s under load in identity,
 * each slowing every request in flight for ~20 ms (bench/RESULTS.md, identity-vouch: p99 at 3,000
 * vouches/s from 15 to 6 ms).
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=128'];

export interface ManagedProcess {
  readonly pid: number;
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns a server process with stdout/stderr appended to `logFile`. A `detached` process gets its
 * own process group and is not killed when this process exits (the local stack's `--detach`).
 */
export function launch(command: string, args: string[], options: { logFile: string; env?: NodeJS.ProcessEnv; detached?: boolean }): ManagedProcess {
  installExitHook();
  const fd = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    stdio: ['ignore', fd, fd],
    env: options.env ?? process.env,
    detached: options.detached ?? false,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  if (options.detached) child.unref();
  else live.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
    child.once('error', () => {
      live.delete(child);
      resolve(null);
    });
  });
  return {
    pid: child.pid,
    exited,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The last `lines` lines of a log file, or a note that there is none to show. */
export function logTail(logFile: string, lines = 15): string {
  try {
    const text = readFileSync(logFile, 'utf8').trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : '(the log is empty)';
  } catch {
    return '(no log)';
  }
}

/**
 * Waits until `probe` says the server `proc` is ready. If the server exits first, or does not get
 * ready in time, it is stopped and the error quotes the end of its log, so a failed start (a port
 * taken, a bad data dir) says why in the test output rather than only "timed out".
 */
export async function awaitReady(proc: ManagedProcess, what: string, logFile: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  let exitCode: number | null | undefined;
  void proc.exited.then((code) => (exitCode = code));
  try {
    await waitFor(what, async () => exitCode !== undefined || (await probe()), timeoutMs);
    if (exitCode !== undefined) throw new Error(`${what}: the process exited (code ${exitCode}) before it was ready`);
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\nlast lines of ${logFile}:\n${logTail(logFile)}`);
  }
}

export interface ProcessResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a peer command (openssl, curl…) in `cwd` to completion, collecting its output. Async on
 * purpose: the services under test often run in this process, and a synchronous spawn would
 * freeze the server the peer talks to.
 */
export function runProcess(command: string, args: string[], cwd: string): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}
