/**
 * who-can and what-can over a subtree, limited to what the asker can View. "Can do OP" means the
 * operation's own requirement: View on the target and OP on it (VOUCHFOR default-deny included).
 * Principals (or targets) with the same derived state share one evaluation.
 */
import { comparePaths, isPrincipalPath, NotFoundError, Op, Operation } from '@am/model';
import { freshen } from './derived-state';
import { Evaluator } from './evaluator';
import { TreeNode } from './tree-node';

function canDo(ev: Evaluator, agent: TreeNode, target: TreeNode, op: Operation, now: number): boolean {
  return ev.canView(agent, target, now) && (op === Op.VIEW || ev.allowed(agent, target, op, now));
}

function requireVisible(ev: Evaluator, asker: TreeNode, path: string, now: number): TreeNode {
  const node = ev.visible(asker, path, now);
  if (!node) throw new NotFoundError(`${path} not found`);
  return node;
}

/** A two-level memo keyed by object identity of derived state. */
class DecisionMemo {
  private readonly byFirst = new Map<object, Map<object, boolean>>();

  get(a: object, b: object, compute: () => boolean): boolean {
    let inner = this.byFirst.get(a);
    if (!inner) this.byFirst.set(a, (inner = new Map()));
    let v = inner.get(b);
    if (v === undefined) inner.set(b, (v = compute()));
    return v;
  }
}

/** Principals under `under` that the asker can View and that can do `op` on `target`: only nodes that can call (TreeNode.canCall: never a directory of principals). */
export function whoCan(ev: Evaluator, asker: TreeNode, targetPath: string, op: Operation, underPath: string, now: number): string[] {
  const target = requireVisible(ev, asker, targetPath, now);
  const under = requireVisible(ev, asker, underPath, now);
  const memo = new DecisionMemo();
  const out: string[] = [];
  for (const p of ev.tree.descendants(under)) {
    if (!p.canCall || !isPrincipalPath(p.path) || !ev.canView(asker, p, now)) continue;
    freshen(p, now);
    // The outcome depends on the agent only through its roles and its agent-ACE table.
    if (memo.get(p.roles, p.agentAces, () => canDo(ev, p, target, op, now))) out.push(p.path);
  }
  return out.sort(comparePaths);
}

/** Nodes under `under` that both the asker and `principal` can see and on which `principal` can do `op`. */
export function whatCan(ev: Evaluator, asker: TreeNode, principalPath: string, op: Operation, underPath: string, now: number): string[] {
  const principal = requireVisible(ev, asker, principalPath, now);
  const under = requireVisible(ev, asker, underPath, now);
  const memo = new DecisionMemo();
  const out: string[] = [];
  for (const t of ev.tree.descendants(under)) {
    if (!ev.canView(asker, t, now)) continue;
    freshen(t, now);
    // The outcome depends on the target only through its target-ACE table and its roles.
    if (memo.get(t.targetAces, t.roles, () => canDo(ev, principal, t, op, now))) out.push(t.path);
  }
  return out.sort(comparePaths);
}
