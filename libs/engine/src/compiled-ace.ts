/** ACEs and applied roles compiled to role ids, and per-operation tables of applicable ACEs. */
import { AceAnnotation, AppliedRoleAnnotation, OPERATION_COUNT } from '@am/model';
import { RoleInterner } from './role-interner';

export interface CompiledAce {
  readonly annotation: AceAnnotation;
  readonly op: number;
  readonly local: boolean;
  readonly agent: boolean;
  /** Role ids per ACL (plain arrays: small integers are stored inline, unlike typed arrays' buffers). */
  readonly acls: readonly (readonly number[])[];
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
/** Role sets are sorted plain arrays of ids: most nodes share their parent's, and small arrays are cheap. */
export type RoleSet = readonly number[];
export const NO_ROLES: RoleSet = Object.freeze([]);

export function compileAce(annotation: AceAnnotation, roles: RoleInterner): CompiledAce {
  return {
    annotation,
    op: annotation.op,
    local: annotation.local,
    agent: annotation.agent,
    acls: annotation.acls.map((acl) => acl.roles.map((r) => roles.intern(r))),
    startMillis: annotation.startMillis,
    endMillis: annotation.endMillis,
  };
}

export function compileRole(annotation: AppliedRoleAnnotation, roles: RoleInterner): CompiledRole {
  return { annotation, roleId: roles.intern(annotation.role), startMillis: annotation.startMillis, endMillis: annotation.endMillis };
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
