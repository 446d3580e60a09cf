/**
 * The decision of access-model §4 and §6 on derived state:
 *   allowed(agent, target, op) = target ACEs kept at `target` are satisfied by the agent's roles
 *                              AND agent ACEs kept at `agent` are satisfied by the target's roles,
 * with default allow, except VOUCHFOR which needs at least one applicable target ACE (§8.5).
 */
import { isActive, Op, Operation, ROOT_PATH } from '@am/model';
import { hasAces, programSatisfied } from './ace-program';
import { AccessTree } from './access-tree';
import { RoleSet } from './compiled-ace';
import { freshen } from './derived-state';
import { RoleProbe } from './role-probe';
import { TreeNode } from './tree-node';

export class Evaluator {
  private readonly probe = new RoleProbe();

  constructor(readonly tree: AccessTree) {}

  allowed(agent: TreeNode, target: TreeNode, op: Operation, now: number): boolean {
    freshen(target, now);
    freshen(agent, now);
    const probe = this.probe;
    const targetProgram = target.targetProgram;
    if (hasAces(targetProgram, op)) {
      probe.load(agent.roles, this.tree.roles.size);
      if (!programSatisfied(targetProgram, op, probe.marks, probe.stamp)) return false;
    } else if (op === Op.VOUCHFOR) {
      return false;
    }
    const agentProgram = agent.agentProgram;
    if (!hasAces(agentProgram, op)) return true;
    probe.load(target.roles, this.tree.roles.size);
    return programSatisfied(agentProgram, op, probe.marks, probe.stamp);
  }

  allowedAll(agent: TreeNode, target: TreeNode, ops: readonly Operation[], now: number): boolean {
    for (const op of ops) if (!this.allowed(agent, target, op, now)) return false;
    return true;
  }

  /** V(P): every operation on P requires it; without it P is "not found" (§7.1). */
  canView(agent: TreeNode, target: TreeNode, now: number): boolean {
    return this.allowed(agent, target, Op.VIEW, now);
  }

  /** The node at `path` if it exists and the agent can View it. */
  visible(agent: TreeNode, path: string, now: number): TreeNode | undefined {
    const node = this.tree.get(path);
    return node && this.canView(agent, node, now) ? node : undefined;
  }

  /** A role is shown unredacted iff its node exists and the agent can View it (§7.3, G26). */
  roleVisible(agent: TreeNode, role: string, now: number): boolean {
    return this.visible(agent, role, now) !== undefined;
  }

  /** Target side only, for a hypothetical agent holding exactly `roles` (native-login rule, §8.6). */
  allowedForRoles(roles: RoleSet, target: TreeNode, op: Operation, now: number): boolean {
    freshen(target, now);
    if (!hasAces(target.targetProgram, op)) return op !== Op.VOUCHFOR;
    this.probe.load(roles, this.tree.roles.size);
    return programSatisfied(target.targetProgram, op, this.probe.marks, this.probe.stamp);
  }

  /** Whether any target ACE of `op` applies at `node` (demo-identity rule 3 of §8.2 uses VOUCHFOR). */
  hasApplicableAce(node: TreeNode, op: Operation, now: number): boolean {
    freshen(node, now);
    return node.targetAces[op].length > 0;
  }

  /** Effective roles as paths, root-to-leaf then annotation order, duplicates removed (§5.3, §10.3). */
  orderedRoles(node: TreeNode, now: number): string[] {
    const out = new Set<string>();
    for (const n of node.chain()) {
      if (n.path === ROOT_PATH) continue;
      for (const r of n.appliedRoles) if (isActive(r, now)) out.add(r.annotation.role);
    }
    return [...out];
  }
}
