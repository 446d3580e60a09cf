/** Paths of the shared reference universes (../shared/fixtures next to the repository). */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const FIXTURE_DIR = path.resolve(__dirname, '../../../../shared/fixtures/hpe-universes');

export function readFixture(name: 'bootstrap' | 'new_sample'): string {
  return readFileSync(path.join(FIXTURE_DIR, `${name}.json`), 'utf8');
}
