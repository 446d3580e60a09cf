import { AccessEngine, unwrap, type OpenRegion } from '@am/engine';
import { parseUniverseText, ROOT_PATH, UniverseFormatError } from '@am/model';
import { builtInUniverseText } from '@am/universes';
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Context } from '../context';
import { examples } from '../context';
import { CliError } from '../errors';
import { treePath } from '../paths';

/** Exit status of `am lint` when it found something. */
export const FINDINGS_EXIT = 1;
const PAGE = 1000;

/** One line of the report, for people. */
export function regionText(r: OpenRegion): string {
  return `${r.operation.padEnd(9)} ${r.path} (${r.nodes} node${r.nodes === 1 ? '' : 's'})`;
}

/** The report of a universe file or built-in universe, made here: nothing is sent anywhere. */
async function lintUniverse(source: string, under: string): Promise<OpenRegion[]> {
  const text = existsSync(source) && statSync(source).isFile() ? await readFile(source, 'utf8') : builtInUniverseText(source);
  if (text === undefined) throw new CliError(`no such universe file or built-in universe: ${source}`);
  try {
    const engine = AccessEngine.fromUniverse(parseUniverseText(text).universe);
    return unwrap(engine.defaultOpen(undefined, under, Date.now()));
  } catch (err) {
    if (err instanceof UniverseFormatError) throw new CliError(`${source}: ${err.message}`);
    throw new CliError(`${source}: ${(err as Error).message}`);
  }
}

export function registerLintCommands(program: Command, ctx: () => Context): void {
  examples(
    program
      .command('lint')
      .description(
        'the default-open report: every subtree where ADMIN, WRITE or APPLYROLE is open to every principal because no ACE applies (access-model §4.2, default allow). ' +
          `Of the live tree as you can see it, or of a universe file (--universe, read here). Exit status ${FINDINGS_EXIT} when it finds any`,
      )
      .argument('[path]', 'only the subtree under this path', ROOT_PATH)
      .option('--universe <file|name>', 'lint a universe file or a built-in universe (new_sample, secure_sample, bootstrap) instead of the live tree'),
    'am lint',
    'am lint am://user/hpe',
    'am lint --universe ./my-universe.json',
    'am --output json lint --universe new_sample',
  ).action(async (arg: string, o: { universe?: string }) => {
    const c = ctx();
    const under = treePath(arg);
    let regions: OpenRegion[];
    if (o.universe !== undefined) regions = await lintUniverse(o.universe, under);
    else {
      const gw = await c.gateway();
      regions = [];
      // Every page: a lint that stopped at the first would pass a tree it never finished reading.
      for (let cursor: string | undefined, first = true; first || cursor; first = false) {
        const r = await gw.request<{ regions: OpenRegion[]; next?: string }>('GET', '/v1/analysis/default-open', { query: { under, cursor, limit: String(PAGE) } });
        regions.push(...r.body.regions);
        cursor = r.body.next;
      }
    }
    if (c.output === 'table') regions.forEach((r) => c.print(regionText(r)));
    else c.json({ regions });
    if (regions.length > 0) throw new CliError(`${regions.length} default-open subtree(s): add ACEs that say who may (the built-in secure_sample shows how)`, FINDINGS_EXIT);
    if (c.output === 'table') c.io.err('no default-open subtrees\n');
  });
}
