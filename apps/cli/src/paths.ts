import { CliError } from './errors';

/**
 * A tree path given on the command line: it must start with am:// (as in the reference CLI);
 * trailing slashes are dropped, except for am:// itself.
 */
export function treePath(arg: string): string {
  const value = arg.trim();
  if (!value.startsWith('am://')) throw new CliError(`path must start with am:// (got "${arg}")`);
  const rest = value.slice('am://'.length).replace(/\/+$/, '');
  return `am://${rest}`;
}

/** `am://user/hpe/bu1` → `/v1/nodes/user/hpe/bu1`; `am://` → `/v1/nodes/`. Each segment is encoded. */
export function nodeUrl(path: string, suffix = ''): string {
  const rest = path.slice('am://'.length);
  const encoded = rest === '' ? '' : rest.split('/').map(encodeURIComponent).join('/');
  return `/v1/nodes/${encoded}${suffix && rest !== '' ? '/' : ''}${suffix}`;
}

/** Comma-separated values, trimmed, empty ones dropped: `-a r1,r2`. */
export function list(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}
