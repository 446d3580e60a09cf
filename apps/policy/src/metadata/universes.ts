import { InvalidArgumentError, parseUniverseText, type ParsedUniverse } from '@am/model';
import { BUNDLED_UNIVERSES } from '@am/runtime';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The bundled universes live in the repository's fixtures/, found upward from here (sources or dist/). */
function bundledDir(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'fixtures', 'hpe-universes');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('bundled universes not found (fixtures/hpe-universes)');
}

export function isBundled(name: string): boolean {
  return (BUNDLED_UNIVERSES as readonly string[]).includes(name);
}

/**
 * A universe by bundled name or as file text. Bundled ones get duplicate uniques renumbered
 * (universe-format §4); text from users is taken as written, and any problem is invalid-argument.
 */
export async function readUniverse(source: { name: string } | { text: string }): Promise<ParsedUniverse> {
  if ('name' in source) {
    if (!isBundled(source.name)) {
      throw new InvalidArgumentError(`unable to read bootstrap metadata: data not found, try one of [${BUNDLED_UNIVERSES.join(' ')}]`);
    }
    return parseUniverseText(await readFile(join(bundledDir(), `${source.name}.json`), 'utf8'), { renumberDuplicates: true });
  }
  return parseUniverseText(source.text);
}
