/** Paths of the reference universes (fixtures/hpe-universes, copied into the repository). */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const FIXTURE_DIR = path.resolve(__dirname, '../../../fixtures/hpe-universes');

export function readFixture(name: 'bootstrap' | 'new_sample'): string {
  return readFileSync(path.join(FIXTURE_DIR, `${name}.json`), 'utf8');
}
