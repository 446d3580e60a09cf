/** Export of what one caller can see (the universe format), with invisible roles redacted (§7.3). */
import { Annotation, comparePaths, isAce, isAppliedRole, NotFoundError, REDACTED_ROLE, TOP_LEVEL_PATHS, Universe, UniverseNode } from '@am/model';
import { Evaluator } from './evaluator';
import { TreeNode } from './tree-node';

export interface VisibleExport {
  universe: Universe;
  /** How many role references were replaced by REDACTED_ROLE (an import drops them, and says so: universe-parse.ts). */
  redacted: number;
}

/**
 * The subtree under `path` as far as the caller can View it: a node is included when it and every
 * node between it and `path` are visible (so the export is a tree), ancestors of `path` and the
 * top-level roots appear as bare directories so that the file loads, and every role the caller
 * cannot View is redacted.
 */
export function visibleExport(ev: Evaluator, caller: TreeNode, path: string, now: number): VisibleExport {
  const root = ev.visible(caller, path, now);
  if (!root) throw new NotFoundError(`${path} not found`);
  let redacted = 0;
  const shown = new Map<string, string>();
  const role = (r: string) => {
    let s = shown.get(r);
    if (s === undefined) shown.set(r, (s = ev.roleVisible(caller, r, now) ? r : REDACTED_ROLE));
    if (s === REDACTED_ROLE) redacted++;
    return s;
  };
  const redact = (a: Annotation): Annotation => {
    if (isAppliedRole(a)) return { ...a, role: role(a.role) };
    if (isAce(a)) return { ...a, acls: a.acls.map((acl) => ({ roles: acl.roles.map(role) })) };
    return a;
  };
  const nodes: UniverseNode[] = root
    .chain()
    .slice(0, -1)
    .map((n) => ({ path: n.path, annotations: [] }));
  const walk = (n: TreeNode) => {
    nodes.push({ path: n.path, annotations: n.annotations.map(redact) });
    for (const c of n.children ?? []) if (ev.canView(caller, c, now)) walk(c);
  };
  walk(root);
  for (const top of TOP_LEVEL_PATHS) if (!nodes.some((n) => n.path === top)) nodes.push({ path: top, annotations: [] });
  return { universe: { nodes: nodes.sort((a, b) => comparePaths(a.path, b.path)) }, redacted };
}
