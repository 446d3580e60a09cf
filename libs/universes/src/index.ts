import { bootstrapUniverse } from './bootstrap';
import type { UniverseNodeJson } from './builder';
import { newSampleUniverse, secureSampleUniverse } from './new-sample';

export type { UniverseNodeJson } from './builder';
export { bootstrapUniverse } from './bootstrap';
export { newSampleUniverse, secureSampleUniverse } from './new-sample';

/** The universes shipped with the product, loadable by name (`am boot NAME`). */
export const BUILT_IN_UNIVERSES = { new_sample: newSampleUniverse, secure_sample: secureSampleUniverse, bootstrap: bootstrapUniverse } as const;
export type BuiltInUniverseName = keyof typeof BUILT_IN_UNIVERSES;

export function isBuiltInUniverse(name: string): name is BuiltInUniverseName {
  return Object.prototype.hasOwnProperty.call(BUILT_IN_UNIVERSES, name);
}

/** The universe JSON of a built-in universe (a fresh object each call), or undefined. */
export function builtInUniverse(name: string): UniverseNodeJson | undefined {
  return isBuiltInUniverse(name) ? BUILT_IN_UNIVERSES[name]() : undefined;
}

/** The same as file text (universe-format §1), e.g. to write it out and edit it. */
export function builtInUniverseText(name: string): string | undefined {
  const u = builtInUniverse(name);
  return u && `${JSON.stringify(u, null, 2)}\n`;
}
