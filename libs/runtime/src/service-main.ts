import { writeSync } from 'node:fs';
import { ConfigError } from './config';

export interface Running {
  close(): Promise<void>;
}

/**
 * The body of every service's main.ts: start it, stop it cleanly on SIGINT/SIGTERM, and turn a
 * configuration mistake into one line on stderr (exit status 2) instead of a stack trace.
 */
export function runService(name: string, start: () => Promise<Running>): void {
  let running: Running | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await running?.close();
    } finally {
      process.exit(code);
    }
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  // Through a promise, so a synchronous throw (e.g. config loaded in a default argument) is handled too.
  Promise.resolve()
    .then(start)
    .then((r) => {
      running = r;
      if (stopping) void r.close();
    })
    .catch((err: unknown) => {
      if (err instanceof ConfigError) {
        // Synchronous: an asynchronous write to a pipe would be lost by the exit below.
        writeSync(2, `${name}: ${err.message}\n`);
        process.exit(2);
      }
      writeSync(2, `${name}: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
