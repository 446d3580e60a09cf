/** ACEs and applied roles compiled to role ids, and per-operation tables of applicable ACEs. */
import { AceAnnotation, AppliedRoleAnnotation, OPERATION_COUNT } from '@am/model';
import { RoleInterner } from './role-interner';
import { RoleProbe } from './role-probe';

export interface CompiledAce {
  readonly annotation: AceAnnotation;
  readonly op: number;
  readonly local: boolean;
  readonly agent: boolean;
  /** One Int32Array of role ids per ACL. */
  readonly acls: readonly Int32Array[];
  readonly startMillis: number;
  readonly endMillis: number;
}

export interface CompiledRole {
  readonly annotation: AppliedRoleAnnotation;
  readonly roleId: number;
  readonly startMillis: number;
  readonly endMillis: number;
}

/** ACEs applicable per operation, indexed by operation number (slot 0 unused). */
export type AceTable = readonly (readonly CompiledAce[])[];

const NO_ACES: readonly CompiledAce[] = Object.freeze([]);
export const EMPTY_ACE_TABLE: AceTable = Object.freeze(Array.from({ length: OPERATION_COUNT }, () => NO_ACES));
export const NO_ROLES = new Int32Array(0);

export function compileAce(annotation: AceAnnotation, roles: RoleInterner): CompiledAce {
  return {
    annotation,
    op: annotation.op,
    local: annotation.local,
    agent: annotation.agent,
    acls: annotation.acls.map((acl) => Int32Array.from(acl.roles, (r) => roles.intern(r))),
    startMillis: annotation.startMillis,
    endMillis: annotation.endMillis,
  };
}

export function compileRole(annotation: AppliedRoleAnnotation, roles: RoleInterner): CompiledRole {
  return { annotation, roleId: roles.intern(annotation.role), startMillis: annotation.startMillis, endMillis: annotation.endMillis };
}

/** AND of ORs against the role set loaded in `probe`; an ACE without ACLs is always satisfied. */
export function aceSatisfied(ace: CompiledAce, probe: RoleProbe): boolean {
  const acls = ace.acls;
  for (let i = 0; i < acls.length; i++) {
    const acl = acls[i];
    let any = false;
    for (let j = 0; j < acl.length; j++) {
      if (probe.has(acl[j])) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

export function allSatisfied(aces: readonly CompiledAce[], probe: RoleProbe): boolean {
  for (let i = 0; i < aces.length; i++) if (!aceSatisfied(aces[i], probe)) return false;
  return true;
}

/** `base` plus `extra` ACEs, copying only the per-operation lists that change. */
export function extendTable(base: AceTable, extra: readonly CompiledAce[]): AceTable {
  if (extra.length === 0) return base;
  const table = base.slice() as CompiledAce[][];
  for (const ace of extra) {
    if (table[ace.op] === base[ace.op]) table[ace.op] = base[ace.op].slice();
    table[ace.op].push(ace);
  }
  return table;
}
