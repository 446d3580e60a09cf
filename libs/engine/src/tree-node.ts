/** One node of the in-memory tree: its annotations, compiled payloads and derived (cached) state. */
import { Annotation, isAce, isAppliedRole, isTimeless } from '@am/model';
import { AceTable, CompiledAce, CompiledRole, compileAce, compileRole, EMPTY_ACE_TABLE, NO_ROLES } from './compiled-ace';
import { RoleInterner } from './role-interner';

export class TreeNode {
  children: TreeNode[] | null = null;
  annotations: Annotation[] = [];
  aces: CompiledAce[] = [];
  appliedRoles: CompiledRole[] = [];
  /** Any ACE or applied role with a time window (then derived state depends on `now`). */
  timed = false;

  // Derived state, valid while validFrom ≤ now < validUntil (see derived-state.ts).
  validFrom = -Infinity;
  validUntil = -Infinity;
  /** Effective roles, sorted ids: applied on this node and its ancestors, am:// excluded (§5.3). */
  roles: Int32Array = NO_ROLES;
  /** Target ACEs kept for this node as target: inherited non-local + all direct (§4.2). */
  targetAces: AceTable = EMPTY_ACE_TABLE;
  /** Target ACEs this node passes to its children (non-local ones up to here). */
  targetInherit: AceTable = EMPTY_ACE_TABLE;
  /** Agent ACEs kept when this node is the agent (§6), and those passed down. */
  agentAces: AceTable = EMPTY_ACE_TABLE;
  agentInherit: AceTable = EMPTY_ACE_TABLE;

  constructor(
    readonly path: string,
    readonly parent: TreeNode | null,
    readonly isLeaf: boolean,
  ) {}

  /** Replaces the annotation list (kept sorted by the caller) and recompiles payloads. */
  setAnnotations(annotations: Annotation[], roles: RoleInterner): void {
    this.annotations = annotations;
    this.aces = [];
    this.appliedRoles = [];
    this.timed = false;
    for (const a of annotations) {
      if (isAce(a)) this.aces.push(compileAce(a, roles));
      else if (isAppliedRole(a)) this.appliedRoles.push(compileRole(a, roles));
      else continue;
      if (!isTimeless(a)) this.timed = true;
    }
  }

  find(tag: string, unique: bigint): Annotation | undefined {
    for (const a of this.annotations) if (a.tag === tag && a.unique === unique) return a;
    return undefined;
  }

  /** Root first, this node last. */
  chain(): TreeNode[] {
    const out: TreeNode[] = [];
    for (let n: TreeNode | null = this; n; n = n.parent) out.push(n);
    return out.reverse();
  }
}
