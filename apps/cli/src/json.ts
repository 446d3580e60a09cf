/** A JSON value written as is (an int64 printed as a number without going through a double). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON text with `indent` spaces; undefined members are left out; RawJson is written verbatim. */
export function toJson(value: unknown, indent = 2, level = 0): string {
  if (value instanceof RawJson) return value.text;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const pad = ' '.repeat(indent * (level + 1));
  const end = ' '.repeat(indent * level);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad + toJson(v, indent, level + 1)).join(',\n')}\n${end}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${toJson(v, indent, level + 1)}`).join(',\n')}\n${end}}`;
}

/**
 * Parses JSON that may hold 64-bit integers as numbers (e.g. the output of `am ls -l`): the
 * int64 members of annotations are turned into strings before JSON.parse can round them.
 */
export function parseJsonKeepingInt64(text: string): unknown {
  const quoted = text.replace(/("(?:unique|version|startMillis|endMillis)"\s*:\s*)(-?\d+)(?=\s*[,}\]])/g, '$1"$2"');
  return JSON.parse(quoted);
}

type Obj = Record<string, unknown>;

/** An int64 as Go's encoding/json writes it: a number, left out when zero. */
const int64 = (v: unknown) => (v === undefined || v === null || String(v) === '0' || String(v) === '' ? undefined : new RawJson(String(BigInt(String(v)))));
const nonEmpty = <T>(v: T[] | undefined) => (v && v.length > 0 ? v : undefined);
const truthy = <T>(v: T) => (v ? v : undefined);

const header = (a: Obj) => ({ tag: truthy(a.tag), unique: int64(a.unique), version: int64(a.version), startMillis: int64(a.startMillis), endMillis: int64(a.endMillis) });
const roleGo = (r: Obj) => ({ role: truthy(r.role), ...header(r) });
const aceGo = (a: Obj) => ({
  op: truthy(a.op),
  local: truthy(a.local),
  agent: truthy(a.agent),
  acls: nonEmpty(((a.acls as Obj[]) ?? []).map((acl) => ({ roles: nonEmpty(acl.roles as string[]) }))),
  ...header(a),
});
const annotationGo = (a: Obj) => ({ data: truthy(a.data), ...header(a) });

/**
 * NodeDetails as the reference `am ls -l` prints it (compat-rest §6.2): members in protobuf
 * order, empty and zero members left out, int64 as numbers, op by name.
 */
export function goStyleDetails(d: Obj): Obj {
  const map = <T>(list: unknown, f: (o: Obj) => T) => nonEmpty(((list as Obj[]) ?? []).map(f));
  return {
    path: truthy(d.path),
    roles: map(d.roles, roleGo),
    inheritedRoles: map(d.inheritedRoles, roleGo),
    aces: map(d.aces, aceGo),
    inheritedAces: map(d.inheritedAces, aceGo),
    annotations: map(d.annotations, annotationGo),
    isDirectory: truthy(d.isDirectory),
  };
}
