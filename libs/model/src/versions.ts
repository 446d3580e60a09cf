/** Write modes of a requested annotation version (access-model §2.4). */
import { AlreadyExistsError, ConflictError, InvalidArgumentError } from './errors';

export const CREATE_ONLY = 0;
export const UNCONDITIONAL = -1;

/**
 * Returns the version the written annotation will have, or throws the conflict of §2.4:
 * 0 = create only, -1 = create or replace, n > 0 = compare-and-set on the current version.
 */
export function nextVersion(current: number | undefined, requested: number, describe: () => string): number {
  if (!Number.isSafeInteger(requested) || requested < UNCONDITIONAL) {
    throw new InvalidArgumentError(`invalid version ${requested}: expected 0 (create), -1 (unconditional) or a positive version`);
  }
  if (requested === CREATE_ONLY) {
    if (current !== undefined) throw new AlreadyExistsError(`${describe()} already exists`);
    return 1;
  }
  if (requested === UNCONDITIONAL) return current === undefined ? 1 : current + 1;
  if (current !== requested) {
    throw new ConflictError(`version mismatch on ${describe()}: expected ${requested}, found ${current ?? 'none'}`);
  }
  return current + 1;
}

/** Optional expected version of a delete (Decision in §2.4): absent = unconditional. */
export function checkExpectedVersion(current: number, expected: number | undefined, describe: () => string): void {
  if (expected !== undefined && expected !== current) {
    throw new ConflictError(`version mismatch on ${describe()}: expected ${expected}, found ${current}`);
  }
}
