/**
 * The access rules written directly from access-model.md, as plainly as possible and with no
 * caching, over a model Universe. The property tests compare the optimised engine against it.
 */
import { AceAnnotation, Annotation, isAce, isActive, isAppliedRole, Op, Operation, prefixes, ROOT_PATH, Universe } from '@am/model';

export class ReferenceEvaluator {
  private readonly nodes: Map<string, readonly Annotation[]>;

  constructor(universe: Universe) {
    this.nodes = new Map(universe.nodes.map((n) => [n.path, n.annotations]));
  }

  exists(path: string): boolean {
    return this.nodes.has(path);
  }

  private active(path: string, now: number): Annotation[] {
    return (this.nodes.get(path) ?? []).filter((a) => isActive(a, now));
  }

  /** §5.3 (and §6 for any path): roles applied on the path and its ancestors, am:// excluded. */
  effectiveRoles(path: string, now: number): Set<string> {
    const roles = new Set<string>();
    for (const q of prefixes(path)) {
      if (q === ROOT_PATH) continue;
      for (const a of this.active(q, now)) if (isAppliedRole(a)) roles.add(a.role);
    }
    return roles;
  }

  /** §4.2 steps 1–2, for target ACEs (agent = false) or agent ACEs (agent = true). */
  keptAces(path: string, op: Operation, agent: boolean, now: number): AceAnnotation[] {
    const kept: AceAnnotation[] = [];
    for (const q of prefixes(path)) {
      for (const a of this.active(q, now)) {
        if (isAce(a) && a.op === op && a.agent === agent && (!a.local || q === path)) kept.push(a);
      }
    }
    return kept;
  }

  /** §4.1: every ACL has at least one role in the set. */
  static satisfied(ace: AceAnnotation, roles: Set<string>): boolean {
    return ace.acls.every((acl) => acl.roles.some((r) => roles.has(r)));
  }

  /** §4.2 + §6 (option a) + §8.5 (VOUCHFOR needs at least one applicable target ACE). */
  allowed(agent: string, target: string, op: Operation, now: number): boolean {
    if (!this.exists(agent) || !this.exists(target)) return false;
    const targetAces = this.keptAces(target, op, false, now);
    if (op === Op.VOUCHFOR && targetAces.length === 0) return false;
    const agentRoles = this.effectiveRoles(agent, now);
    const targetRoles = this.effectiveRoles(target, now);
    return (
      targetAces.every((ace) => ReferenceEvaluator.satisfied(ace, agentRoles)) &&
      this.keptAces(agent, op, true, now).every((ace) => ReferenceEvaluator.satisfied(ace, targetRoles))
    );
  }

  /** §7.3: a role is shown iff it exists and the viewer can View it. */
  roleVisible(viewer: string, role: string, now: number): boolean {
    return this.exists(role) && this.allowed(viewer, role, Op.VIEW, now);
  }
}
