import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a running stack records in <data dir>/run/stack.json so that `down` can find it. */
export interface RunFile {
  startedAt: string;
  detached: boolean;
  /** Process ids in start order; `down` stops them in reverse. */
  processes: { name: string; pid: number }[];
  gatewayUrl: string;
}

export const runFilePath = (dataDir: string) => join(dataDir, 'run', 'stack.json');

export async function readRunFile(dataDir: string): Promise<RunFile | undefined> {
  try {
    return JSON.parse(await readFile(runFilePath(dataDir), 'utf8')) as RunFile;
  } catch {
    return undefined;
  }
}

export const writeRunFile = (dataDir: string, run: RunFile) => writeFile(runFilePath(dataDir), JSON.stringify(run, null, 2));
export const removeRunFile = (dataDir: string) => rm(runFilePath(dataDir), { force: true });

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. */
export async function terminate(pid: number, graceMs = 10_000): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}
