import { InvalidArgumentError, parseUniverse, parseUniverseText, type ParsedUniverse } from '@am/model';
import { BUNDLED_UNIVERSES } from '@am/runtime';
import { builtInUniverse } from '@am/universes';
import { checkIncomingUniverse } from './annotation-content';

export function isBundled(name: string): boolean {
  return (BUNDLED_UNIVERSES as readonly string[]).includes(name);
}

/**
 * A universe by bundled name (the built-in universes of libs/universes) or as file text. Text
 * from users is taken as written, and any problem is invalid-argument. The unknown-name message
 * lists the names sorted, as the reference does (`[bootstrap new_sample]`, universe-format §7).
 */
export async function readUniverse(source: { name: string } | { text: string }): Promise<ParsedUniverse> {
  if ('name' in source) {
    const json = isBundled(source.name) ? builtInUniverse(source.name) : undefined;
    if (!json) throw new InvalidArgumentError(`unable to read bootstrap metadata: data not found, try one of [${[...BUNDLED_UNIVERSES].sort().join(' ')}]`);
    return parseUniverse(json);
  }
  const parsed = parseUniverseText(source.text);
  checkIncomingUniverse(parsed.universe);
  return parsed;
}
