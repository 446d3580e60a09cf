import { TREE_LOAD_TIMEOUT_MS, type MetaProjection } from '@am/store';
import type { Logger } from 'pino';
import { readFile } from 'node:fs/promises';
import { reportDefaultOpen } from './default-open';
import { isBundled, readUniverse } from './universes';

/**
 * Boots `choice` (a bundled name or a file path) into an empty store at start-up (the local stack
 * and compose). A store that already holds a tree is left alone.
 */
export async function bootIfEmpty(projection: MetaProjection, choice: string, log: Logger): Promise<void> {
  if (choice === 'none' || !projection.empty) return;
  const { universe, warnings, renumbered } = await readUniverse(isBundled(choice) ? { name: choice } : { text: await readFile(choice, 'utf8') });
  for (const w of warnings) log.warn({ path: w.path }, `universe ${choice}: ${w.message}`);
  for (const r of renumbered) log.info({ renumbered: { path: r.path, tag: r.tag } }, `universe ${choice}: duplicate unique renumbered`);
  try {
    const { revision } = await projection.store.boot(universe, 'stack:boot');
    // A large tree takes longer to load than a read may wait for the view.
    await projection.atLeast(revision, TREE_LOAD_TIMEOUT_MS);
    log.info({ universe: choice, nodes: universe.nodes.length, revision }, 'booted universe into the empty store');
    reportDefaultOpen(projection.engine, undefined, Date.now(), log, `universe ${choice}`);
  } catch (err) {
    // Another replica may have booted first; that is fine.
    if ((err as Error).message.includes('data already exists')) return;
    throw err;
  }
}
