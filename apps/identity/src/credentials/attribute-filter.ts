import { InvalidArgumentError } from '@am/model';

/**
 * Attribute filters of delegation requests: globs over role paths. `*` matches any characters
 * within one path segment, `**` any characters including `/`; everything else matches itself.
 * `am://role/org/**` keeps every role below am://role/org; `am://role/org/*` only its children.
 */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') {
      out += '[^/]*';
    } else {
      out += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`);
}

export function validateFilter(patterns: readonly string[]): void {
  for (const p of patterns) {
    if (!p.startsWith('am://role/') && p !== 'am://role' && !p.startsWith('*')) {
      throw new InvalidArgumentError(`attribute filter ${JSON.stringify(p)} must be a role path pattern (am://role/...)`);
    }
  }
}

export function matchesAnyPattern(role: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => globToRegExp(p).test(role));
}
