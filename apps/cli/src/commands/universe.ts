import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from '../context';
import { examples } from '../context';
import { CliError } from '../errors';
import { treePath } from '../paths';
import type { OpenRegion } from '@am/engine';
import { regionText } from './lint';

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/**
 * The bootstrap token the local stack (`npm run up`) keeps in its data directory, if this host has
 * one — offered only to a gateway on this host, never to one elsewhere.
 */
export async function localStackToken(env: NodeJS.ProcessEnv, gatewayUrl: string): Promise<string | undefined> {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(gatewayUrl).hostname)) return undefined;
  const file = join(env.AM_DATA_DIR || '.am', 'keys', 'bootstrap-token');
  const token = isFile(file) ? (await readFile(file, 'utf8')).trim() : '';
  return token || undefined;
}

export function registerUniverseCommands(program: Command, ctx: () => Context): void {
  examples(
    program
      .command('boot')
      .description(
        'load a universe — a built-in one by name (bootstrap, new_sample, secure_sample) or a universe file — into the empty store (no credential; the deployment\'s bootstrap token). ' +
          'On a store that holds data it fails (data already exists) unless you replace the tree (--force, needs Admin on am://) or merge into it (--import)',
      )
      .argument('<name|file>', 'bootstrap, new_sample, secure_sample, or a universe JSON file')
      .option('-u, --key <ssh-public-key>', 'an ssh public key line (or a .pub file) to put on am://user/the-operator')
      .option('--force', 'replace the whole existing tree (as your AM_USER/--user)')
      .option('--import', 'merge the universe into the existing tree (for operators: Admin on am://; each change also needs your permissions)')
      .option('--token <bootstrap-token>', 'the deployment\'s bootstrap token, which booting an empty store needs (default: $AM_BOOTSTRAP_TOKEN, else the local stack\'s $AM_DATA_DIR/keys/bootstrap-token)'),
    'am boot bootstrap',
    'am boot new_sample -u "$(cat ~/.ssh/id_ed25519.pub)"',
    'AM_USER=am://user/the-operator am boot new_sample --force',
    'am boot ./my-universe.json --import',
  ).action(async (source: string, o: { key?: string; force?: boolean; import?: boolean; token?: string }) => {
    const c = ctx();
    if (o.force && o.import) throw new CliError('--force and --import exclude each other');
    const headers: Record<string, string> = {};
    if (o.key !== undefined) {
      const key = (isFile(o.key) ? await readFile(o.key, 'utf8') : o.key).trim();
      if (!key || /[\r\n]/.test(key)) throw new CliError('the operator key must be one ssh public key line');
      headers['am-operator-key'] = key;
    }
    let text: string | undefined;
    if (isFile(source)) text = await readFile(source, 'utf8');
    else if (!/^[A-Za-z0-9_-]+$/.test(source)) throw new CliError(`no such universe file: ${source}`);
    // A plain boot sends no credential: the gateway then refuses a store that holds data instead
    // of importing into it (what the reference's boot does). Replacing or merging is on purpose.
    const replacing = o.force || o.import;
    const token = o.token ?? c.io.env.AM_BOOTSTRAP_TOKEN ?? (await localStackToken(c.io.env, (await c.target()).baseUrl));
    const gw = await c.gateway(!!replacing);
    if (!replacing && token) headers.authorization = `Bearer ${token}`;
    const force = o.force ? 'true' : undefined;
    let r;
    try {
      r = await gw.request<{ mode: string; nodes: number; revision: number; warnings: string[]; defaultOpen?: { count: number; first: OpenRegion[] } }>('POST', '/v1/universe', {
        query: text === undefined ? { name: source, force } : { force },
        text,
        headers,
        auth: !!replacing,
      });
    } catch (err) {
      const message = (err as Error).message;
      if (!replacing && /boot is disabled/.test(message)) {
        throw new CliError(`error loading "${source}": ${message} (booting needs the deployment's bootstrap token: --token or $AM_BOOTSTRAP_TOKEN)`);
      }
      if (!replacing && /data already exists/.test(message)) {
        throw new CliError(`error loading "${source}": data already exists (use --force to replace the tree, or --import to merge into it)`);
      }
      throw new CliError(`error loading "${source}": ${message}`);
    }
    for (const w of r.body?.warnings ?? []) c.io.err(`warning: ${w}\n`);
    const open = r.body?.defaultOpen;
    if (open?.count) {
      c.io.err(`warning: ${open.count} subtree(s) where ADMIN, WRITE or APPLYROLE is open to every principal because no ACE applies:\n`);
      for (const region of open.first) c.io.err(`  ${regionText(region)}\n`);
      if (open.count > open.first.length) c.io.err(`  … and ${open.count - open.first.length} more\n`);
      c.io.err('  (am lint lists them all)\n');
    }
    c.print(o.import ? `Imported ${source} (${r.body.nodes} nodes)` : `Loaded ${source}`);
  });

  examples(
    program
      .command('export')
      .description('print what you can see of the tree as a universe file (invisible roles redacted)')
      .argument('[path]', 'the subtree to export', 'am://')
      .option('--as-of <revision|time>', 'the tree as it was then'),
    'am export > universe.json',
    'am export am://data/hpe --as-of 2025-06-01T12:00:00Z',
  ).action(async (arg: string, o: { asOf?: string }) => {
    const c = ctx();
    const gw = await c.gateway();
    // Written as it arrives: a whole-tree export need not fit in memory here.
    const { chunks } = await gw.stream('/v1/universe', { query: { path: treePath(arg), asOf: o.asOf } });
    await c.printStream(chunks);
  });
}
