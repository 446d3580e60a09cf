/** Create and delete of nodes (§9.1 rows "Create object / directory", "Delete object", "Delete recursively"). */
import {
  FailedPreconditionError,
  InvalidArgumentError,
  isRootOrTopLevel,
  NotFoundError,
  Op,
  parentPath,
  parsePath,
  PermissionDeniedError,
  ROOT_PATH,
  STRUCTURAL_UNIQUE,
  Tag,
  AlreadyExistsError,
} from '@am/model';
import { ApprovedChange, CreateNodeRequest, DeleteNodeRequest } from './changes';
import { Evaluator } from './evaluator';
import { TreeNode } from './tree-node';

/** View and Write effective on the parent, the parent's local ACEs included (G2). */
export function authorizeCreate(ev: Evaluator, caller: TreeNode, request: CreateNodeRequest, now: number): ApprovedChange {
  const path = parsePath(request.path);
  if (path === ROOT_PATH || parentPath(path) === ROOT_PATH) {
    throw new InvalidArgumentError(`cannot create ${path}: am:// and its four roots are fixed`);
  }
  const parent = ev.visible(caller, parentPath(path), now);
  if (!parent) throw new NotFoundError(`${parentPath(path)} not found`);
  if (!ev.allowed(caller, parent, Op.WRITE, now)) throw new PermissionDeniedError(`permission denied for object creation of ${path}`);
  if (parent.isLeaf) throw new FailedPreconditionError(`cannot create ${path}: ${parent.path} is not a directory`);
  if (ev.tree.get(path)) throw new AlreadyExistsError(`${path} already exists`);
  const structural = { tag: request.directory ? Tag.DIR : Tag.LEAF, unique: STRUCTURAL_UNIQUE, version: 1, startMillis: 0, endMillis: 0, data: '' };
  return { kind: 'create-node', path, annotations: [structural] };
}

/**
 * View on P, View and Write on its parent; roots are never deleted. Recursive deletion also needs
 * Write on the parent of every descendant — invisible ones count but are not named (§9.1).
 */
export function authorizeDelete(ev: Evaluator, caller: TreeNode, request: DeleteNodeRequest, now: number): ApprovedChange {
  const path = parsePath(request.path);
  if (isRootOrTopLevel(path)) throw new InvalidArgumentError(`cannot delete a root (${path})`);
  const node = ev.visible(caller, path, now);
  if (!node) throw new NotFoundError(`object ${path} not found`);
  const parent = node.parent as TreeNode;
  if (!ev.canView(caller, parent, now) || !ev.allowed(caller, parent, Op.WRITE, now)) {
    throw new PermissionDeniedError(`permission denied on directory ${parent.path}`);
  }
  const hasChildren = (node.children?.length ?? 0) > 0;
  if (hasChildren && !request.recursive) {
    throw new FailedPreconditionError(`directory ${path} is not empty, cannot be deleted without recursive flag`);
  }
  if (hasChildren) checkSubtreeWritable(ev, caller, node, now);
  const removed = ev.tree.removalOrder(node);
  // The caller is told the names of what it could see, and no more (§9.1, §7.1).
  const visibleRemoved = removed.filter((p) => ev.canView(caller, ev.tree.get(p)!, now));
  return { kind: 'delete-node', path, removed, visibleRemoved };
}

function checkSubtreeWritable(ev: Evaluator, caller: TreeNode, top: TreeNode, now: number): void {
  const refused: string[] = [];
  let anyRefused = false;
  for (const dir of ev.tree.descendants(top)) {
    if (!dir.children || dir.children.length === 0 || ev.allowed(caller, dir, Op.WRITE, now)) continue;
    anyRefused = true;
    for (const child of dir.children) if (ev.canView(caller, child, now)) refused.push(child.path);
  }
  if (anyRefused) {
    throw new PermissionDeniedError(`permission denied for recursive deletion of directory ${top.path} for components [${refused.sort().join(' ')}]`);
  }
}
