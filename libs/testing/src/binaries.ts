import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

// Debian installs nats-server into /usr/sbin, which is not on every user's PATH.
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/** Absolute path of an executable on PATH (or in the sbin directories), or undefined. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_DIRS].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export function requireBinary(name: string, debianPackage: string): string {
  const found = findBinary(name);
  if (!found) throw new Error(`${name} not found on PATH; install the Debian package ${debianPackage} (apt-get install -y ${debianPackage})`);
  return found;
}
