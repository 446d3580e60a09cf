/**
 * Derived state of a node — effective roles and applicable ACE tables — computed from its parent's
 * on first use and kept while `now` stays inside the window in which no contributing annotation
 * starts or ends. Mutations invalidate by resetting the window (access-tree.ts).
 */
import { isActive } from '@am/model';
import { CompiledAce, CompiledRole, EMPTY_ACE_TABLE, extendTable, NO_ROLES, RoleSet } from './compiled-ace';
import { TreeNode } from './tree-node';
import { programOf } from './ace-program';

/** Makes the node's derived state valid for `now` (recomputing ancestors first when needed). */
export function freshen(node: TreeNode, now: number): void {
  if (now >= node.validFrom && now < node.validUntil) return;
  recompute(node, now);
}

function recompute(node: TreeNode, now: number): void {
  const parent = node.parent;
  let from = -Infinity;
  let until = Infinity;
  if (parent) {
    freshen(parent, now);
    from = parent.validFrom;
    until = parent.validUntil;
  }
  if (node.timed) {
    for (const a of node.aces) [from, until] = narrowWindow(a, now, from, until);
    for (const r of node.appliedRoles) [from, until] = narrowWindow(r, now, from, until);
  }
  // Roles applied at am:// are ignored for effect (§5.3).
  node.roles = parent ? mergeRoles(parent.roles, node.appliedRoles, now) : NO_ROLES;
  const { target, targetLocal, agent, agentLocal } = activeAces(node.aces, now);
  node.targetInherit = extendTable(parent ? parent.targetInherit : EMPTY_ACE_TABLE, target);
  node.targetAces = extendTable(node.targetInherit, targetLocal);
  node.agentInherit = extendTable(parent ? parent.agentInherit : EMPTY_ACE_TABLE, agent);
  node.agentAces = extendTable(node.agentInherit, agentLocal);
  node.targetProgram = programOf(node.targetAces);
  node.agentProgram = programOf(node.agentAces);
  node.validFrom = from;
  node.validUntil = until;
}

/** Narrows [from, until) to the stretch of time around `now` in which `w`'s activity is constant. */
function narrowWindow(w: { startMillis: number; endMillis: number }, now: number, from: number, until: number): [number, number] {
  if (w.startMillis > now) return [from, Math.min(until, w.startMillis)];
  from = Math.max(from, w.startMillis);
  if (w.endMillis === 0) return [from, until];
  return w.endMillis <= now ? [Math.max(from, w.endMillis), until] : [from, Math.min(until, w.endMillis)];
}

const EMPTY: readonly CompiledAce[] = [];

function activeAces(aces: readonly CompiledAce[], now: number) {
  let target = EMPTY as CompiledAce[];
  let targetLocal = EMPTY as CompiledAce[];
  let agent = EMPTY as CompiledAce[];
  let agentLocal = EMPTY as CompiledAce[];
  for (const ace of aces) {
    if (!isActive(ace, now)) continue;
    if (ace.agent) {
      if (ace.local) agentLocal = append(agentLocal, ace);
      else agent = append(agent, ace);
    } else if (ace.local) targetLocal = append(targetLocal, ace);
    else target = append(target, ace);
  }
  return { target, targetLocal, agent, agentLocal };
}

function append(list: CompiledAce[], ace: CompiledAce): CompiledAce[] {
  if (list === EMPTY) return [ace];
  list.push(ace);
  return list;
}

/** Parent roles ∪ this node's active applied roles, sorted; shares the parent's array when unchanged. */
function mergeRoles(parentRoles: RoleSet, applied: readonly CompiledRole[], now: number): RoleSet {
  let added: number[] | undefined;
  for (const r of applied) {
    if (!isActive(r, now) || binaryHas(parentRoles, r.roleId) || added?.includes(r.roleId)) continue;
    (added ??= []).push(r.roleId);
  }
  if (!added) return parentRoles;
  return [...parentRoles, ...added].sort((a, b) => a - b);
}

export function binaryHas(sorted: RoleSet, id: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid];
    if (v === id) return true;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
