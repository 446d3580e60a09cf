/**
 * Request conventions of the reference REST surface (compat-rest §2): parameters in the query
 * string under snake_case or lowerCamel names, loose booleans, path normalisation, and the two
 * legacy annotation payloads its CLI sends.
 */
import { InvalidArgumentError } from '@am/model';

export type Query = Record<string, string | string[] | undefined>;

/** A malformed parameter: HTTP 400 with the gateway error body (code 3). */
export class BadParameterError extends InvalidArgumentError {}

const camel = (snake: string) => snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** The last value of a parameter under either of its names. */
export function param(q: Query, snake: string): string | undefined {
  const v = q[snake] ?? q[camel(snake)];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export function params(q: Query, snake: string): string[] {
  const v = q[snake] ?? q[camel(snake)];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

export function boolParam(q: Query, snake: string, fallback = false): boolean {
  const v = param(q, snake);
  if (v === undefined) return fallback;
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new BadParameterError(`parsing field "${snake}": strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

export function int64Param(q: Query, snake: string): string | undefined {
  const v = param(q, snake);
  if (v === undefined) return undefined;
  if (!/^-?\d{1,19}$/.test(v)) throw new BadParameterError(`parsing field "${snake}": strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return v;
}

/** §2: the server's path rebuild for /am/{path}, /annotate and /details. */
export function normalizePath(raw: string): string {
  let p = raw;
  if (!p.startsWith('am://')) {
    if (p.startsWith('am/')) p = `am://${p.slice(3)}`;
    else if (p === '' || /^(user|workload|role|data)(\/|$)/.test(p)) p = `am://${p}`;
  }
  if (p !== 'am://') p = p.replace(/\/+$/, '');
  return p === 'am:/' ? 'am://' : p;
}

/**
 * The annotation parameter: universe-format JSON, or the legacy shapes of the reference CLI
 * (`{"Tag":"applied-role","Meta":{"Version":-1,"Role":r}}` and
 * `{"Tag":"ace","Meta":{op,unique,local,version,endTimeMillis,roles:[[...]]}}`).
 */
export function annotationParam(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`invalid annotation JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InvalidArgumentError('the annotation must be a JSON object');
  const o = json as Record<string, unknown>;
  if (!('Tag' in o)) return o;
  const meta = (o.Meta ?? {}) as Record<string, unknown>;
  if (o.Tag === 'applied-role') return { tag: 'applied-role', role: meta.Role ?? meta.role, version: meta.Version ?? meta.version ?? -1 };
  if (o.Tag === 'ace') {
    const roles = Array.isArray(meta.roles) ? (meta.roles as unknown[]) : [];
    return {
      tag: 'ace',
      op: meta.op,
      unique: meta.unique ?? '0',
      local: meta.local ?? false,
      version: meta.version ?? '0',
      endMillis: meta.endTimeMillis ?? 0,
      acls: roles.map((acl) => ({ roles: acl })),
    };
  }
  throw new InvalidArgumentError(`unknown legacy annotation tag ${JSON.stringify(o.Tag)}`);
}
