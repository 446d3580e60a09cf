import { parseUniverseText } from '@am/model';
import { BUNDLED_UNIVERSES } from '@am/runtime';
import type { MetaProjection } from '@am/store';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';

/** The bundled universes live in the repository's fixtures/, found upward from here (sources or dist/). */
function bundledDir(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'fixtures', 'hpe-universes');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('bundled universes not found (fixtures/hpe-universes)');
}

/**
 * Boots `choice` into an empty store (start-up of the local stack and compose). Bundled universes
 * are loaded with duplicate renumbering (universe-format §4); files given by path are not.
 * A store that already holds a tree is left alone.
 */
export async function bootIfEmpty(projection: MetaProjection, choice: string, log: Logger): Promise<void> {
  if (choice === 'none' || !projection.empty) return;
  const bundled = (BUNDLED_UNIVERSES as readonly string[]).includes(choice);
  const file = bundled ? join(bundledDir(), `${choice}.json`) : choice;
  const { universe, warnings, renumbered } = parseUniverseText(await readFile(file, 'utf8'), { renumberDuplicates: bundled });
  for (const w of warnings) log.warn({ path: w.path }, `universe ${choice}: ${w.message}`);
  for (const r of renumbered) log.info({ renumbered: { path: r.path, tag: r.tag } }, `universe ${choice}: duplicate unique renumbered`);
  try {
    const { revision } = await projection.store.boot(universe, 'stack:boot');
    await projection.atLeast(revision);
    log.info({ universe: choice, nodes: universe.nodes.length, revision }, 'booted universe into the empty store');
  } catch (err) {
    // Another replica may have booted first; that is fine.
    if ((err as Error).message.includes('data already exists')) return;
    throw err;
  }
}
