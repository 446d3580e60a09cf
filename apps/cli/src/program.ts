import { Command, Option } from 'commander';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
}

/** Raised for a failure the user should read as one line (exit status 1). */
export class CliError extends Error {}

/**
 * `am`, the command line client of the gateway. This first cut knows `status`; the verbs of the
 * reference CLI (ls, mk, annotate, chperm, ...) arrive with the REST API.
 */
export function buildProgram(io: Io): Command {
  const program = new Command('am')
    .description('Access Manager command line client')
    .addOption(new Option('--am_url <url>', 'gateway URL').env('ACCESS_MANAGER_URL').default('http://localhost:8080'))
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError();

  program
    .command('status')
    .description('show whether the gateway, etcd, NATS and every service are ready')
    .addHelpText('after', '\nExamples:\n  am status\n  ACCESS_MANAGER_URL=http://localhost:8080 am status')
    .action(async () => {
      const base = String(program.opts().am_url).replace(/\/+$/, '');
      let res: Response;
      try {
        res = await io.fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5000) });
      } catch (err) {
        throw new CliError(`cannot reach the gateway at ${base}: ${(err as Error).message}`);
      }
      const body = (await res.json().catch(() => ({}))) as { checks?: Record<string, string> };
      for (const [name, state] of Object.entries(body.checks ?? {})) io.out(`${name.padEnd(10)} ${state}\n`);
      if (!res.ok) throw new CliError(`not ready (HTTP ${res.status})`);
    });
  return program;
}

/** Runs the CLI and returns the exit status; errors become one line on stderr. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) return e.exitCode ?? 1;
    io.err(`Error: ${e.message ?? String(err)}\n`);
    return 1;
  }
}
