import { Command, Option } from 'commander';
import { registerDecisionCommands } from './commands/decisions';
import { registerIdentityCommands } from './commands/identity';
import { registerNodeCommands } from './commands/nodes';
import { registerUniverseCommands } from './commands/universe';
import { Context, DEFAULT_URL, examples, type Io } from './context';
import { CliError } from './errors';

export { CliError } from './errors';
export type { Io } from './context';

/**
 * `am`, the command line client of the gateway: the verbs of the reference CLI (compat-rest §6)
 * over the v1 REST API (identity verbs over the compatible routes), plus decisions, history,
 * export and whoami.
 */
export function buildProgram(io: Io): Command {
  const program = new Command('am')
    .description('Access Manager command line client')
    .option('--user <credential>', 'your credential: a principal path, a credential, or @file (default: $AM_USER)')
    .option('--am_url <url>', `gateway URL (default: $ACCESS_MANAGER_URL, else ${DEFAULT_URL})`)
    .option('-v, --verbose', 'print each request and response status on stderr (credentials masked)')
    .addOption(new Option('-o, --output <format>', 'json (as the reference CLI) or table (for people)').choices(['json', 'table']).default('json'))
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      // Usage mistakes stay one line, with a pointer to the help.
      outputError: (text, write) => write(`${text.trimEnd()} (see --help)\n`),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Environment:
  AM_USER              your credential (principal path, credential text, or @file holding it)
  ACCESS_MANAGER_URL   the gateway (default ${DEFAULT_URL})

Examples:
  am boot bootstrap
  AM_USER=am://user/the-operator am ls -r am://
  AM_USER=am://user/hpe/bu1/alice am --output table ls -l am://user/hpe/bu1/alice
  am check READ am://data/hpe/bu1/hot-data --explain`,
    );

  let context: Context | undefined;
  const ctx = () => (context ??= new Context(io, program));

  examples(
    program.command('status').description('show whether the gateway, etcd, NATS and every service are ready'),
    'am status',
    'ACCESS_MANAGER_URL=http://localhost:8080 am status',
  ).action(async () => {
    const c = ctx();
    let res: Response;
    try {
      res = await io.fetch(`${c.baseUrl}/readyz`, { signal: AbortSignal.timeout(5000) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      throw new CliError(`cannot reach the gateway at ${c.baseUrl}: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
    }
    const body = (await res.json().catch(() => ({}))) as { checks?: Record<string, string> };
    for (const [name, state] of Object.entries(body.checks ?? {})) io.out(`${name.padEnd(10)} ${state}\n`);
    if (!res.ok) throw new CliError(`not ready (HTTP ${res.status})`);
  });

  registerNodeCommands(program, ctx);
  registerIdentityCommands(program, ctx);
  registerDecisionCommands(program, ctx);
  registerUniverseCommands(program, ctx);
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
    const message = err instanceof CliError ? e.message! : `unexpected failure: ${e.message ?? String(err)}`;
    io.err(`Error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}
