/**
 * The default-open report: where ADMIN, WRITE or APPLYROLE is open to every authenticated
 * principal because no ACE of that operation applies (access-model §4.2: default allow; G14).
 * Such a region is what lets one tenant's user administer another's principals, or apply a role to
 * itself. The report is advice, never a decision: the model stays default-allow.
 */
import { Op, operationName } from '@am/model';
import { freshen } from './derived-state';
import type { TreeNode } from './tree-node';

/** The operations whose openness the report is about, in report order. */
export const DEFAULT_OPEN_OPERATIONS = [Op.ADMIN, Op.WRITE, Op.APPLYROLE] as const;

export type DefaultOpenOperation = 'ADMIN' | 'WRITE' | 'APPLYROLE';

export interface OpenRegion {
  /** The region's topmost node (that the asker can see). */
  path: string;
  operation: DefaultOpenOperation;
  /** Nodes in the region (that the asker can see), its top included. */
  nodes: number;
}

const ROLE_ROOT = 'am://role';
const DATA_ROOT = 'am://data';
const under = (node: TreeNode, root: string) => node.path === root || node.path.startsWith(`${root}/`);

/**
 * Whether the operation open at `node` gives anything away (§3, §9.3): ADMIN anywhere; WRITE on
 * directories (creating and deleting children) and datasets; APPLYROLE on roles. Other nodes
 * still carry a region through, uncounted, so a region is reported once at its top.
 */
function matters(op: (typeof DEFAULT_OPEN_OPERATIONS)[number], node: TreeNode): boolean {
  if (op === Op.WRITE) return !node.isLeaf || under(node, DATA_ROOT);
  if (op === Op.APPLYROLE) return node.isLeaf && under(node, ROLE_ROOT);
  return true;
}

/** Where a region may start: APPLYROLE only among the roles (above them it guards nothing). */
const inScope = (op: (typeof DEFAULT_OPEN_OPERATIONS)[number], node: TreeNode) => op !== Op.APPLYROLE || under(node, ROLE_ROOT);

/**
 * One pre-order walk of `top`'s subtree. A region is a chain of nodes, each below the previous,
 * all open for one operation; it is reported at its topmost node with the number of its nodes
 * where that matters. With `visible`, nodes the asker cannot View are neither reported nor counted
 * (a region whose top is hidden is reported at the first nodes below that are not), so the report
 * reveals nothing the asker could not find by looking. Sorted by path, then operation.
 */
export function defaultOpenRegions(top: TreeNode, now: number, visible: (node: TreeNode) => boolean = () => true): OpenRegion[] {
  const regions = new Map<string, OpenRegion>();
  // Each node with, per operation, the top of the open chain it continues (null: none reaches it).
  const stack: { node: TreeNode; tops: (string | null)[] }[] = [{ node: top, tops: DEFAULT_OPEN_OPERATIONS.map(() => null) }];
  while (stack.length > 0) {
    const { node, tops: above } = stack.pop()!;
    freshen(node, now);
    const seen = visible(node);
    const tops = DEFAULT_OPEN_OPERATIONS.map((op, k) => {
      if (node.targetAces[op].length > 0 || !inScope(op, node)) return null;
      const chainTop = above[k] ?? (seen ? node.path : null); // hidden: carries the chain through, uncounted
      if (seen && chainTop !== null && matters(op, node)) {
        const id = `${k} ${chainTop}`;
        let region = regions.get(id);
        if (!region) regions.set(id, (region = { path: chainTop, operation: operationName(op) as DefaultOpenOperation, nodes: 0 }));
        region.nodes++;
      }
      return chainTop;
    });
    if (node.children) for (let i = node.children.length - 1; i >= 0; i--) stack.push({ node: node.children[i], tops });
  }
  return [...regions.values()].sort(compareOpenRegions);
}

const OPERATION_ORDER = new Map(DEFAULT_OPEN_OPERATIONS.map((op, k) => [operationName(op) as DefaultOpenOperation, k]));

/** The report's order: by path, then operation (ADMIN, WRITE, APPLYROLE); what a page cursor compares with. */
export function compareOpenRegions(a: Pick<OpenRegion, 'path' | 'operation'>, b: Pick<OpenRegion, 'path' | 'operation'>): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : OPERATION_ORDER.get(a.operation)! - OPERATION_ORDER.get(b.operation)!;
}
