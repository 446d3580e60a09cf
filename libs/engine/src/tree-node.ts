/** One node of the in-memory tree: its annotations, compiled payloads and derived (cached) state. */
import { Annotation, isAce, isAppliedRole, isTimeless } from '@am/model';
import { AceTable, CompiledAce, CompiledRole, compileAce, compileRole, EMPTY_ACE_TABLE, NO_ROLES, RoleSet } from './compiled-ace';
import { RoleInterner } from './role-interner';
import { programOf } from './ace-program';

const EMPTY_PROGRAM = programOf(EMPTY_ACE_TABLE);
const NO_ACES: readonly CompiledAce[] = Object.freeze([]);
const NO_APPLIED_ROLES: readonly CompiledRole[] = Object.freeze([]);

export class TreeNode {
  children: TreeNode[] | null = null;
  annotations: Annotation[] = [];
  aces: readonly CompiledAce[] = NO_ACES;
  appliedRoles: readonly CompiledRole[] = NO_APPLIED_ROLES;
  /** Any ACE or applied role with a time window (then derived state depends on `now`). */
  timed = false;

  // Derived state, valid while validFrom ≤ now < validUntil (see derived-state.ts).
  validFrom = -Infinity;
  validUntil = -Infinity;
  /** Effective roles, sorted ids: applied on this node and its ancestors, am:// excluded (§5.3). */
  roles: RoleSet = NO_ROLES;
  /** Target ACEs kept for this node as target: inherited non-local + all direct (§4.2). */
  targetAces: AceTable = EMPTY_ACE_TABLE;
  /** Target ACEs this node passes to its children (non-local ones up to here). */
  targetInherit: AceTable = EMPTY_ACE_TABLE;
  /** Agent ACEs kept when this node is the agent (§6), and those passed down. */
  agentAces: AceTable = EMPTY_ACE_TABLE;
  agentInherit: AceTable = EMPTY_ACE_TABLE;
  /** targetAces and agentAces flattened for the hot path (ace-program.ts). */
  targetProgram: Int32Array = EMPTY_PROGRAM;
  agentProgram: Int32Array = EMPTY_PROGRAM;

  constructor(
    readonly path: string,
    readonly parent: TreeNode | null,
    readonly isLeaf: boolean,
  ) {}

  /**
   * Whether this node can be a caller (given it is under am://user or am://workload): a leaf, or a
   * directory with nothing below it (the reference's demo data has childless directories as
   * principals, access-model §1.3). A directory holding principals is a group, never a caller.
   */
  get canCall(): boolean {
    return this.isLeaf || !this.children?.length;
  }

  /** Replaces the annotation list (kept sorted by the caller) and recompiles payloads. */
  setAnnotations(annotations: Annotation[], roles: RoleInterner): void {
    this.annotations = annotations;
    // Most nodes carry neither: they share the empty lists instead of allocating two each.
    let aces: CompiledAce[] | undefined;
    let applied: CompiledRole[] | undefined;
    this.timed = false;
    for (const a of annotations) {
      if (isAce(a)) (aces ??= []).push(compileAce(a, roles));
      else if (isAppliedRole(a)) (applied ??= []).push(compileRole(a, roles));
      else continue;
      if (!isTimeless(a)) this.timed = true;
    }
    this.aces = aces ?? NO_ACES;
    this.appliedRoles = applied ?? NO_APPLIED_ROLES;
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
