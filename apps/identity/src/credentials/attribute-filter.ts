import { InvalidArgumentError } from '@am/model';

/**
 * Attribute filters of delegation requests: globs over role paths. `*` matches any characters
 * within one path segment, `**` any characters including `/`; everything else matches itself.
 * `am://role/org/**` keeps every role below am://role/org; `am://role/org/*` only its children.
 *
 * Patterns come from callers, so they are matched by simulating the pattern's automaton one
 * character at a time (work at most role length × pattern length, and a request's patterns total at
 * most MAX_FILTER_CHARS), never by a backtracking RegExp, where a pattern like `**a**a**a…Z` takes
 * time exponential in its wildcards.
 */
export type AttributeFilter = readonly Glob[];
type Glob = readonly number[];

/** Pattern tokens: a UTF-16 code unit matches itself; these two are the wildcards. */
const STAR = -1;
const GLOBSTAR = -2;
const SLASH = '/'.charCodeAt(0);

/** Wildcards per pattern, and characters over all of a request's patterns: enough for any real filter. */
export const MAX_FILTER_WILDCARDS = 32;
export const MAX_FILTER_CHARS = 4096;

/** Checks and compiles the patterns of a request; a bad one is the caller's mistake. */
export function compileFilter(patterns: readonly string[]): AttributeFilter {
  if (patterns.reduce((n, p) => n + p.length, 0) > MAX_FILTER_CHARS) {
    throw new InvalidArgumentError(`attribute filters may hold at most ${MAX_FILTER_CHARS} characters in all`);
  }
  return patterns.map((p) => {
    if (!p.startsWith('am://role/') && p !== 'am://role' && !p.startsWith('*')) {
      throw new InvalidArgumentError(`attribute filter ${JSON.stringify(p)} must be a role path pattern (am://role/...)`);
    }
    const glob = compileGlob(p);
    if (glob.filter((t) => t < 0).length > MAX_FILTER_WILDCARDS) {
      throw new InvalidArgumentError(`attribute filter ${JSON.stringify(p.slice(0, 64))}… has more than ${MAX_FILTER_WILDCARDS} wildcards`);
    }
    return glob;
  });
}

export function filterMatches(filter: AttributeFilter, role: string): boolean {
  return filter.some((glob) => globMatches(glob, role));
}

/** A run of two or more `*` is one `**` (it matches everything such a run could). */
function compileGlob(pattern: string): Glob {
  const tokens: number[] = [];
  for (let i = 0; i < pattern.length; ) {
    if (pattern[i] !== '*') {
      tokens.push(pattern.charCodeAt(i++));
      continue;
    }
    const start = i;
    while (pattern[i] === '*') i++;
    tokens.push(i - start > 1 ? GLOBSTAR : STAR);
  }
  return tokens;
}

/** Runs the glob's automaton over `text`: the set of pattern positions reachable so far. */
function globMatches(glob: Glob, text: string): boolean {
  const end = glob.length;
  // The step at which each position was last added, so each joins a step's set at most once.
  const addedAt = new Int32Array(end + 1).fill(-1);
  const add = (into: number[], position: number, step: number) => {
    for (let p = position; addedAt[p] !== step; p++) {
      addedAt[p] = step;
      into.push(p);
      if (p === end || glob[p] >= 0) break; // a wildcard may also match nothing: go on past it
    }
  };
  let current: number[] = [];
  add(current, 0, 0);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const next: number[] = [];
    for (const p of current) {
      if (p === end) continue;
      const t = glob[p];
      if (t === GLOBSTAR || (t === STAR && c !== SLASH)) add(next, p, i + 1);
      else if (t === c) add(next, p + 1, i + 1);
    }
    if (next.length === 0) return false;
    current = next;
  }
  return addedAt[end] === text.length;
}
