/**
 * A small vocabulary for writing universes (universe-format §1–§3) as code: nodes are named
 * relative to their parent, leaves say what they are, and ACEs read like the spec's tables
 * (`ace('VIEW', anyOf(a, b))` is VIEW [[a ∨ b]]). `buildUniverse` turns the description into the
 * universe JSON with full paths and deterministic uniques, so every boot of a built-in universe
 * produces the same tree.
 */

export type OpName = 'READ' | 'WRITE' | 'VIEW' | 'ADMIN' | 'USEROLE' | 'APPLYROLE' | 'VOUCHFOR';

/** One annotation as written in a universe file, before a unique is given to it. */
export type MetaJson =
  | { tag: 'ace'; op: OpName; local?: boolean; acls: { roles: string[] }[] }
  | { tag: 'applied-role'; role: string }
  | { tag: string; data?: string };

export interface NodeSpec {
  readonly meta: readonly MetaJson[];
  /** Absent on leaves. */
  readonly children?: Readonly<Record<string, NodeSpec>>;
}

/** The JSON of a universe node as the loader reads it. */
export interface UniverseNodeJson {
  path: string;
  meta: Record<string, unknown>[];
  children: UniverseNodeJson[] | null;
}

/** One ACL: satisfied by any of these roles. */
export const anyOf = (...roles: string[]): string[] => roles;

/** A non-local ACE; each argument is one ACL, and every ACL must be satisfied. */
export const ace = (op: OpName, ...acls: string[][]): MetaJson => ({ tag: 'ace', op, acls: acls.map((roles) => ({ roles })) });

/** An ACE that applies to its own node only (not inherited). */
export const localAce = (op: OpName, ...acls: string[][]): MetaJson => ({ tag: 'ace', op, local: true, acls: acls.map((roles) => ({ roles })) });

/** Several ACEs with the same ACLs, one per operation. */
export const aces = (ops: OpName[], ...acls: string[][]): MetaJson[] => ops.map((op) => ace(op, ...acls));

export const applied = (...roles: string[]): MetaJson[] => roles.map((role) => ({ tag: 'applied-role', role }));

/** A free-form annotation (ssh-pubkey, data-info, notes, ...). */
export const text = (tag: string, data: string): MetaJson => ({ tag, data });

export const dir = (meta: readonly MetaJson[] = [], children: Record<string, NodeSpec> = {}): NodeSpec => ({ meta, children });

const leafOf =
  (marker: string) =>
  (...meta: (MetaJson | MetaJson[])[]): NodeSpec => ({ meta: [{ tag: 'leaf' }, { tag: marker }, ...meta.flat()] });

/** A user or workload leaf. */
export const principal = leafOf('principal');
/** A role leaf under am://role. */
export const role = leafOf('role');
/** A dataset leaf under am://data. */
export const dataset = leafOf('data');

/** Roles given by name under one directory: `rolesUnder({ a: [], b: [ace(...)] })`. */
export const roles = (spec: Record<string, MetaJson[]>): Record<string, NodeSpec> =>
  Object.fromEntries(Object.entries(spec).map(([name, meta]) => [name, role(meta)]));

/**
 * The universe JSON of `root` (the node am://). Uniques are numbered from `firstUnique` in the
 * order annotations are written, except the structural `leaf` marker, which the loader numbers.
 */
export function buildUniverse(root: NodeSpec, firstUnique: bigint): UniverseNodeJson {
  let next = firstUnique;
  const visit = (path: string, spec: NodeSpec): UniverseNodeJson => {
    const meta = spec.meta.map((m) => (m.tag === 'leaf' ? { ...m } : { unique: String(next++), ...m }));
    if (!spec.children) return { path, meta, children: null };
    const children = Object.entries(spec.children).map(([name, child]) => visit(path === 'am://' ? `am://${name}` : `${path}/${name}`, child));
    return { path, meta, children };
  };
  return visit('am://', root);
}
