/**
 * Uncached walk of §4.2 over a node's prefixes, listing each kept ACE with where it is attached.
 * Used where per-ACE detail matters (explain) or a hypothetical ACE set is evaluated (lockout guard).
 */
import { AceAnnotation, Acl, isActive, Op, Operation } from '@am/model';
import { TreeNode } from './tree-node';

export interface KeptAce {
  readonly ace: AceAnnotation;
  readonly attachedTo: TreeNode;
  /** Attached to the evaluated node itself (otherwise inherited from an ancestor). */
  readonly direct: boolean;
}

/** Replaces the ACEs of one node, to evaluate a change before it is made. */
export interface AceOverride {
  readonly node: TreeNode;
  readonly aces: readonly AceAnnotation[];
}

export function keptAces(node: TreeNode, op: Operation, agentSide: boolean, now: number, override?: AceOverride): KeptAce[] {
  const kept: KeptAce[] = [];
  for (const q of node.chain()) {
    const aces = override && override.node === q ? override.aces : q.aces.map((c) => c.annotation);
    for (const ace of aces) {
      if (ace.op !== op || ace.agent !== agentSide || !isActive(ace, now)) continue;
      if (ace.local && q !== node) continue;
      kept.push({ ace, attachedTo: q, direct: q === node });
    }
  }
  return kept;
}

export function aclSatisfiedBy(acl: Acl, roles: ReadonlySet<string>): string | undefined {
  return acl.roles.find((r) => roles.has(r));
}

export function aceSatisfiedBy(ace: AceAnnotation, roles: ReadonlySet<string>): boolean {
  return ace.acls.every((acl) => aclSatisfiedBy(acl, roles) !== undefined);
}

/** allowed(agent, target, op) of §4/§6/§8.5 from first principles, with an optional ACE override. */
export function allowedUncached(
  agent: TreeNode,
  agentRoles: ReadonlySet<string>,
  target: TreeNode,
  targetRoles: ReadonlySet<string>,
  op: Operation,
  now: number,
  override?: AceOverride,
): boolean {
  const targetSide = keptAces(target, op, false, now, override);
  if (op === Op.VOUCHFOR && targetSide.length === 0) return false;
  if (!targetSide.every((k) => aceSatisfiedBy(k.ace, agentRoles))) return false;
  return keptAces(agent, op, true, now, override).every((k) => aceSatisfiedBy(k.ace, targetRoles));
}
