import { Command, Option } from 'commander';
import { registerDecisionCommands } from './commands/decisions';
import { registerIdentityCommands } from './commands/identity';
import { registerLintCommands } from './commands/lint';
import { registerNodeCommands } from './commands/nodes';
import { registerPkiCommands } from './commands/pki';
import { registerRemoteCommands } from './commands/remote';
import { registerUniverseCommands } from './commands/universe';
import { Context, DEFAULT_URL, examples, type GlobalOptions, type Io } from './context';
import { CliError } from './errors';

export { CliError } from './errors';
export type { Io } from './context';

/**
 * `am`, the command line client of the gateway: the verbs of the reference CLI (compat-rest §6)
 * over the v1 REST API (identity verbs over the compatible routes), plus decisions, history,
 * export and whoami.
 */
export function buildProgram(io: Io): Command {
  return assemble(io).program;
}

function assemble(io: Io): { program: Command; close: () => Promise<void> } {
  const program = new Command('am')
    .description('Access Manager command line client')
    .option('--user <credential>', 'your credential: a principal path, a credential, or @file (default: $AM_USER)')
    .option('--am_url <url>', `gateway URL (default: $ACCESS_MANAGER_URL, else ${DEFAULT_URL})`)
    .option('-v, --verbose', 'print each request and response status on stderr (credentials masked)')
    .addOption(new Option('-o, --output <format>', 'json (as the reference CLI) or table (for people)').choices(['json', 'table']).default('json'))
    .option('--remote <name>', 'the gateway: a remote added with `am remote add` (default: $AM_REMOTE, else the default remote when no URL is given)')
    .option('--cert <file>', 'client certificate (PEM) for mTLS with an https:// gateway (default: the one stored with the remote)')
    .option('--key <file>', 'the client certificate\'s private key (PEM)')
    .option('--cacert <file>', 'CA certificates (PEM) to verify an https:// --am_url with (remotes are pinned instead)')
    // Global options go before the verb, so that a verb may have its own --cert (`am cert revoke --cert FILE`);
    // copies on every verb (hidden, below) still accept them after it.
    .enablePositionalOptions()
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
  AM_REMOTE            a remote to use (see am remote --help)
  AM_CONFIG_DIR        where remotes.json is kept (default ~/.config/am)

Examples:
  am boot bootstrap
  AM_USER=am://user/the-operator am ls -r am://
  AM_USER=am://user/hpe/bu1/alice am --output table ls -l am://user/hpe/bu1/alice
  am check READ am://data/hpe/bu1/hot-data --explain
  am remote add prod https://am.example.com:8443
  am --remote prod --cert me.pem --key me.key whoami`,
    );

  let context: Context | undefined;
  let leaf: Command | undefined;
  const copies = new WeakSet<Option>();
  program.hook('preAction', (_program, actionCommand) => {
    leaf = actionCommand;
  });
  /** The program's options, overridden by the copies given after the verb. */
  const globals = (): GlobalOptions => {
    const merged: Record<string, unknown> = { ...program.opts() };
    for (const option of leaf?.options ?? []) {
      if (!copies.has(option)) continue;
      const value = leaf!.getOptionValue(option.attributeName());
      if (value !== undefined) merged[option.attributeName()] = value;
    }
    return merged as GlobalOptions;
  };
  const ctx = () => (context ??= new Context(io, globals));

  examples(
    program.command('status').description('show whether the gateway, etcd, NATS and every service are ready'),
    'am status',
    'ACCESS_MANAGER_URL=http://localhost:8080 am status',
  ).action(async () => {
    const c = ctx();
    const { baseUrl, fetch } = await c.target();
    let res: Response;
    try {
      res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(5000) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.cause instanceof CliError) throw e.cause;
      throw new CliError(`cannot reach the gateway at ${baseUrl}: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
    }
    const body = (await res.json().catch(() => ({}))) as { checks?: Record<string, string> };
    for (const [name, state] of Object.entries(body.checks ?? {})) io.out(`${name.padEnd(10)} ${state}\n`);
    if (!res.ok) throw new CliError(`not ready (HTTP ${res.status})`);
  });

  registerNodeCommands(program, ctx);
  registerIdentityCommands(program, ctx);
  registerDecisionCommands(program, ctx);
  registerUniverseCommands(program, ctx);
  registerLintCommands(program, ctx);
  registerPkiCommands(program, ctx);
  registerRemoteCommands(program, ctx);
  copyGlobalOptions(program, copies);
  return { program, close: async () => context?.close() };
}

/**
 * Gives every verb hidden copies of the global options it does not have itself, so they work
 * after the verb too (`am ls -v am://`); a verb's own option of the same name wins
 * (`am cert revoke --cert FILE` is the certificate to revoke).
 */
function copyGlobalOptions(program: Command, copies: WeakSet<Option>): void {
  const visit = (cmd: Command) => {
    if (cmd.commands.length > 0) {
      cmd.commands.forEach(visit);
      return;
    }
    for (const global of program.options) {
      const taken = cmd.options.some((o) => (global.long && o.long === global.long) || (global.short && o.short === global.short));
      if (taken) continue;
      const copy = new Option(global.flags, global.description).hideHelp();
      if (global.argChoices) copy.choices(global.argChoices);
      copies.add(copy);
      cmd.addOption(copy);
    }
  };
  program.commands.forEach(visit);
}

/** Runs the CLI and returns the exit status; errors become one line on stderr. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const { program, close } = assemble(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) return e.exitCode ?? 1;
    const message = err instanceof CliError ? e.message! : `unexpected failure: ${e.message ?? String(err)}`;
    io.err(`Error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  } finally {
    await close();
  }
}
