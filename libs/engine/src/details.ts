/** Get details / list children (§9.1, compat-rest §4.7), View-gated and redacted for the caller. */
import { comparePaths, DetailsResult, isAce, isActive, isAppliedRole, isTextAnnotation, NON_USER_TAGS, NotFoundError } from '@am/model';
import { Evaluator } from './evaluator';
import { Redactor, userAnnotationView } from './redactor';
import { TreeNode } from './tree-node';

export interface DetailsOptions {
  readonly includeChildren?: boolean;
}

export function nodeDetails(ev: Evaluator, caller: TreeNode, path: string, options: DetailsOptions, now: number): DetailsResult {
  const node = ev.visible(caller, path, now);
  if (!node) throw new NotFoundError(`object not found for ${path}`);
  const redact = new Redactor(ev, caller, now);
  const active = (n: TreeNode) => n.annotations.filter((a) => isActive(a, now));
  const ancestors = node.chain().slice(0, -1);
  const own = active(node);
  return {
    details: {
      path: node.path,
      roles: own.filter(isAppliedRole).map((a) => redact.appliedRole(a)),
      inheritedRoles: ancestors.flatMap((n) => active(n).filter(isAppliedRole).map((a) => redact.appliedRole(a))),
      aces: own.filter(isAce).map((a) => redact.ace(a)),
      inheritedAces: ancestors.flatMap((n) =>
        active(n)
          .filter(isAce)
          .filter((a) => !a.local)
          .map((a) => redact.ace(a)),
      ),
      annotations: own
        .filter(isTextAnnotation)
        .filter((a) => !NON_USER_TAGS.has(a.tag))
        .map(userAnnotationView),
      isDirectory: !node.isLeaf,
    },
    children: options.includeChildren ? visibleChildren(ev, caller, node, now) : [],
  };
}

export function visibleChildren(ev: Evaluator, caller: TreeNode, node: TreeNode, now: number): string[] {
  return (node.children ?? [])
    .filter((c) => ev.canView(caller, c, now))
    .map((c) => c.path)
    .sort(comparePaths);
}
