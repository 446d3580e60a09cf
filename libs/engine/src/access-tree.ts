/**
 * The indexed tree: nodes by path, interned roles, and the incremental mutations a projection
 * applies one event at a time. A mutation invalidates exactly the derived state it can change:
 * the subtree for applied roles and inherited ACEs, the node alone for local ACEs.
 */
import {
  AlreadyExistsError,
  Annotation,
  compareAnnotations,
  comparePaths,
  FailedPreconditionError,
  isAce,
  isAppliedRole,
  NotFoundError,
  parentPath,
  ROOT_PATH,
  Tag,
  Universe,
  UniverseNode,
} from '@am/model';
import { RoleInterner } from './role-interner';
import { TreeNode } from './tree-node';

export class AccessTree {
  readonly roles = new RoleInterner();
  private readonly nodes = new Map<string, TreeNode>();

  static fromUniverse(universe: Universe): AccessTree {
    const tree = new AccessTree();
    const sorted = [...universe.nodes].sort((a, b) => comparePaths(a.path, b.path));
    for (const node of sorted) tree.addNode(node.path, node.annotations);
    return tree;
  }

  get size(): number {
    return this.nodes.size;
  }

  get(path: string): TreeNode | undefined {
    return this.nodes.get(path);
  }

  /** Adds a node under an existing directory; a `leaf` annotation makes it a leaf. */
  addNode(path: string, annotations: readonly Annotation[]): TreeNode {
    if (this.nodes.has(path)) throw new AlreadyExistsError(`${path} already exists`);
    let parent: TreeNode | null = null;
    if (path !== ROOT_PATH) {
      parent = this.nodes.get(parentPath(path)) ?? null;
      if (!parent) throw new NotFoundError(`${parentPath(path)} not found`);
      if (parent.isLeaf) throw new FailedPreconditionError(`${parent.path} is not a directory`);
    }
    const node = new TreeNode(path, parent, annotations.some((a) => a.tag === Tag.LEAF));
    node.setAnnotations([...annotations].sort(compareAnnotations), this.roles);
    if (parent) (parent.children ??= []).push(node);
    this.nodes.set(path, node);
    return node;
  }

  /** Removes a node and all its descendants; returns the removed paths, deepest first. */
  removeSubtree(path: string): string[] {
    const node = this.require(path);
    const removed = this.removalOrder(node);
    for (const p of removed) this.nodes.delete(p);
    const siblings = node.parent?.children;
    if (siblings) siblings.splice(siblings.indexOf(node), 1);
    return removed;
  }

  /** Inserts or replaces the annotation with the same (tag, unique). */
  putAnnotation(path: string, annotation: Annotation): void {
    const node = this.require(path);
    const old = node.find(annotation.tag, annotation.unique);
    const next = node.annotations.filter((a) => a !== old);
    // Kept sorted by insertion, not by sorting again: a node with thousands of notes stays O(n) per change.
    next.splice(sortedIndex(next, annotation), 0, annotation);
    node.setAnnotations(next, this.roles);
    this.invalidateFor(node, old, annotation);
  }

  removeAnnotation(path: string, tag: string, unique: bigint): Annotation | undefined {
    const node = this.require(path);
    const old = node.find(tag, unique);
    if (!old) return undefined;
    node.setAnnotations(
      node.annotations.filter((a) => a !== old),
      this.roles,
    );
    this.invalidateFor(node, old, undefined);
    return old;
  }

  /** Paths of the node and its descendants, deepest first (children before parents). */
  removalOrder(node: TreeNode): string[] {
    return [...this.descendants(node)].reverse().map((n) => n.path);
  }

  /** Pre-order walk of `node` and everything below it. */
  *descendants(node: TreeNode): Generator<TreeNode> {
    const stack = [node];
    while (stack.length > 0) {
      const n = stack.pop() as TreeNode;
      yield n;
      if (n.children) for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
    }
  }

  toUniverse(): Universe {
    const nodes: UniverseNode[] = [...this.nodes.values()].map((n) => ({ path: n.path, annotations: [...n.annotations] }));
    return { nodes: nodes.sort((a, b) => comparePaths(a.path, b.path)) };
  }

  private require(path: string): TreeNode {
    const node = this.nodes.get(path);
    if (!node) throw new NotFoundError(`${path} not found`);
    return node;
  }

  private invalidateFor(node: TreeNode, before: Annotation | undefined, after: Annotation | undefined): void {
    const inherited = (a: Annotation | undefined) => a !== undefined && (isAppliedRole(a) || (isAce(a) && !a.local));
    const local = (a: Annotation | undefined) => a !== undefined && isAce(a) && a.local;
    if (inherited(before) || inherited(after)) this.invalidateSubtree(node);
    else if (local(before) || local(after)) this.invalidateNode(node);
  }

  /**
   * Marks the whole subtree stale. Invariant: a node marked −∞ has its whole subtree marked −∞
   * (a descendant is only recomputed after its ancestors), so marked subtrees are skipped.
   */
  private invalidateSubtree(node: TreeNode): void {
    const stack = [node];
    while (stack.length > 0) {
      const n = stack.pop() as TreeNode;
      if (n.validUntil === -Infinity) continue;
      n.validUntil = -Infinity;
      if (n.children) for (const c of n.children) stack.push(c);
    }
  }

  /** Marks one node stale without touching its subtree; NaN keeps the −∞ invariant intact. */
  private invalidateNode(node: TreeNode): void {
    if (node.validUntil !== -Infinity) node.validUntil = NaN;
  }
}

/** Where `a` goes in `sorted` (ascending by compareAnnotations). */
function sortedIndex(sorted: readonly Annotation[], a: Annotation): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareAnnotations(sorted[mid], a) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
