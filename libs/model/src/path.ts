/**
 * Paths of the am:// tree (access-model §1): grammar, normalisation, prefixes.
 * A valid path is stored and compared as an exact string.
 */
import { InvalidPathError } from './errors';

export const ROOT_PATH = 'am://';
export const TOP_LEVEL_NAMES = ['user', 'workload', 'role', 'data'] as const;
export type TopLevelName = (typeof TOP_LEVEL_NAMES)[number];
export const TOP_LEVEL_PATHS: readonly string[] = TOP_LEVEL_NAMES.map((n) => ROOT_PATH + n);

/** Documented limits (access-model §1.1 Decision). */
export const MAX_PATH_COMPONENTS = 32;
export const MAX_PATH_BYTES = 1024;

const COMPONENT = /^[A-Za-z0-9._~-]+$/;
const DOTS_ONLY = /^\.+$/;

/** Normalises and validates `input`; throws InvalidPathError (code invalid-argument). */
export function parsePath(input: string): string {
  const reject = (reason: string): never => {
    throw new InvalidPathError(input, reason);
  };
  if (typeof input !== 'string') reject('not a string');
  if (!input.startsWith(ROOT_PATH)) reject('must start with am://');
  if (input.includes('?')) reject('query strings are not allowed');
  if (input.includes('#')) reject('fragments are not allowed');
  // One trailing "/" is accepted on input and removed (never on am:// itself).
  const path = input.length > ROOT_PATH.length && input.endsWith('/') ? input.slice(0, -1) : input;
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) reject(`longer than ${MAX_PATH_BYTES} bytes`);
  if (path === ROOT_PATH) return path;
  const components = path.slice(ROOT_PATH.length).split('/');
  if (components.length > MAX_PATH_COMPONENTS) reject(`more than ${MAX_PATH_COMPONENTS} components`);
  if (!(TOP_LEVEL_NAMES as readonly string[]).includes(components[0])) {
    reject('the first component must be one of user, workload, role, data');
  }
  for (const c of components) {
    if (c === '') reject('empty component');
    if (!COMPONENT.test(c)) reject(`component ${JSON.stringify(c)} has characters outside [A-Za-z0-9._~-]`);
    if (DOTS_ONLY.test(c)) reject(`component ${JSON.stringify(c)} consists only of dots`);
  }
  return path;
}

export function isValidPath(input: string): boolean {
  try {
    return parsePath(input) === input;
  } catch {
    return false;
  }
}

/** Number of components: 0 for am://, 1 for the roots. */
export function pathDepth(path: string): number {
  if (path === ROOT_PATH) return 0;
  let n = 1;
  for (let i = ROOT_PATH.length; i < path.length; i++) if (path.charCodeAt(i) === 47) n++;
  return n;
}

/** prefixes(P): from am:// down to P itself (§1.2). */
export function prefixes(path: string): string[] {
  const out = [ROOT_PATH];
  if (path === ROOT_PATH) return out;
  for (let i = ROOT_PATH.length; i < path.length; i++) {
    if (path.charCodeAt(i) === 47) out.push(path.slice(0, i));
  }
  out.push(path);
  return out;
}

/** ancestors(P): the proper prefixes of P, root first. */
export function ancestors(path: string): string[] {
  return prefixes(path).slice(0, -1);
}

/** parent(P); parent(am://) = am://. */
export function parentPath(path: string): string {
  if (path === ROOT_PATH) return ROOT_PATH;
  const cut = path.lastIndexOf('/');
  return cut < ROOT_PATH.length ? ROOT_PATH : path.slice(0, cut);
}

/** The last component ('' for am://). */
export function baseName(path: string): string {
  return path === ROOT_PATH ? '' : path.slice(Math.max(path.lastIndexOf('/') + 1, ROOT_PATH.length));
}

export function childPath(parent: string, name: string): string {
  return parent === ROOT_PATH ? ROOT_PATH + name : `${parent}/${name}`;
}

/** Component-wise ancestry: am://user/hpe is not an ancestor of am://user/hpe-labs. */
export function isAncestorOrSelf(ancestor: string, path: string): boolean {
  if (ancestor === path || ancestor === ROOT_PATH) return true;
  return path.startsWith(ancestor) && path.charCodeAt(ancestor.length) === 47;
}

export function isRootOrTopLevel(path: string): boolean {
  return path === ROOT_PATH || TOP_LEVEL_PATHS.includes(path);
}

/** A principal is any node under am://user/ or am://workload/ (§1.3, leaf or directory). */
export function isPrincipalPath(path: string): boolean {
  return path.startsWith('am://user/') || path.startsWith('am://workload/');
}

export function isRolePath(path: string): boolean {
  return path.startsWith('am://role/');
}

/** Byte-order comparison of paths (ASCII alphabet, so UTF-16 order equals byte order). */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
