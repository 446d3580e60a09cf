/**
 * The ACEs a delegation credential carries (our design for the wiki's target_ace / heritable_ace,
 * which access-model §10.3 leaves out of v1; docs/access-model-decisions.md, "Delegation").
 *
 * Both have the shape of an ACE's `acls` (§4.1: AND of ACLs, each an OR of role paths) and no
 * operation: the one operation they govern is "present this credential to a consumer".
 * - target ACE: whoever presents the credential must hold roles satisfying it;
 * - heritable ACE: constraints every credential extended from this one keeps in its target ACE.
 * Adding an ACL only narrows, so merging two ACEs is the union of their ACLs.
 */
import { z } from 'zod';
import { InvalidArgumentError } from './errors';
import { parsePath } from './path';

/** Bounds that keep a credential small: a JWT travels in every request header. */
export const MAX_DELEGATION_ACLS = 16;
export const MAX_DELEGATION_ACL_ROLES = 16;

export interface DelegationAcl {
  roles: string[];
}

export interface DelegationAce {
  acls: DelegationAcl[];
}

export const delegationAceJsonSchema = z.strictObject({
  acls: z.array(z.strictObject({ roles: z.array(z.string().max(4096)).max(MAX_DELEGATION_ACL_ROLES) })).max(MAX_DELEGATION_ACLS),
});

/**
 * Validates and normalises: role paths parsed (and under am://role/), duplicates dropped inside an
 * ACL and across ACLs. An ACL without roles could never be satisfied (G31) and is refused.
 */
export function normalizeDelegationAce(ace: DelegationAce, name: string): DelegationAce {
  const acls: DelegationAcl[] = [];
  for (const acl of ace.acls) {
    if (acl.roles.length === 0) throw new InvalidArgumentError(`${name}: an ACL without roles can never be satisfied`);
    const roles = [...new Set(acl.roles.map((r) => rolePath(r, name)))];
    acls.push({ roles });
  }
  return mergeDelegationAces({ acls: [] }, { acls });
}

/** The conjunction of two ACEs: every ACL of both, each ACL once (compared as a set of roles). */
export function mergeDelegationAces(a: DelegationAce, b: DelegationAce): DelegationAce {
  const seen = new Set<string>();
  const acls: DelegationAcl[] = [];
  for (const acl of [...a.acls, ...b.acls]) {
    const key = [...acl.roles].sort().join('\n');
    if (seen.has(key)) continue;
    seen.add(key);
    acls.push({ roles: [...acl.roles] });
  }
  if (acls.length > MAX_DELEGATION_ACLS) throw new InvalidArgumentError(`a delegation ACE may hold at most ${MAX_DELEGATION_ACLS} ACLs`);
  return { acls };
}

/** Every role path named by the ACE, once each. */
export function delegationAceRoles(ace: DelegationAce): string[] {
  return [...new Set(ace.acls.flatMap((acl) => acl.roles))];
}

/** §4.1: every ACL has a role in `roles`; an ACE without ACLs is always satisfied. */
export function delegationAceSatisfied(ace: DelegationAce, roles: ReadonlySet<string>): boolean {
  return ace.acls.every((acl) => acl.roles.some((r) => roles.has(r)));
}

function rolePath(input: string, name: string): string {
  const path = parsePath(input);
  if (!path.startsWith('am://role/')) throw new InvalidArgumentError(`${name}: ${path} is not a role (am://role/...)`);
  return path;
}
