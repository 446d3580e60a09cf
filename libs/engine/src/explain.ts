/**
 * Structured explanation of allowed(agent, target, op): every ACE consulted, where it is attached,
 * which ACLs were satisfied by which role and which failed — with roles invisible to the asker
 * redacted, so a denied caller learns what is missing without learning what it may not see.
 */
import { Acl, NotFoundError, Op, Operation, OperationName, operationName } from '@am/model';
import { Evaluator } from './evaluator';
import { aclSatisfiedBy, KeptAce, keptAces } from './kept-aces';
import { Redactor } from './redactor';
import { TreeNode } from './tree-node';

export const ALLOWED_BY_DEFAULT = 'allowed by default (no ACE)';
export const DENIED_BY_DEFAULT = 'denied by default (VOUCHFOR needs at least one ACE)';

export interface AclExplanation {
  /** The ACL's roles, redacted for the asker. */
  roles: string[];
  satisfied: boolean;
  /** The role that satisfied it (redacted when invisible to the asker), or null. */
  satisfiedBy: string | null;
}

export interface AceExplanation {
  /** target: on the target's path, checked against the agent's roles; agent: on the agent's path, checked against the target's roles (§6). */
  side: 'target' | 'agent';
  attachment: 'direct' | 'inherited';
  attachedAt: string;
  unique: string;
  local: boolean;
  satisfied: boolean;
  acls: AclExplanation[];
}

export interface OperationExplanation {
  op: OperationName;
  allowed: boolean;
  /** Set when no ACE decided: the default of §4.2 (allow) or of §8.5 (VOUCHFOR deny). */
  byDefault: string | null;
  aces: AceExplanation[];
}

export interface Explanation {
  agent: string;
  target: string;
  allowed: boolean;
  operations: OperationExplanation[];
}

export function explainDecision(ev: Evaluator, asker: TreeNode, agentPath: string, targetPath: string, ops: readonly Operation[], now: number): Explanation {
  const target = ev.visible(asker, targetPath, now);
  if (!target) throw new NotFoundError(`${targetPath} not found`);
  const agent = ev.visible(asker, agentPath, now);
  if (!agent) throw new NotFoundError(`${agentPath} not found`);
  const redact = new Redactor(ev, asker, now);
  const agentRoles = new Set(ev.orderedRoles(agent, now));
  const targetRoles = new Set(ev.orderedRoles(target, now));
  const operations = ops.map((op) => {
    const aces = [
      ...keptAces(target, op, false, now).map((k) => explainAce(k, 'target', agentRoles, redact)),
      ...keptAces(agent, op, true, now).map((k) => explainAce(k, 'agent', targetRoles, redact)),
    ];
    const targetSideEmpty = !aces.some((a) => a.side === 'target');
    const vouchDenied = op === Op.VOUCHFOR && targetSideEmpty;
    const allowed = !vouchDenied && aces.every((a) => a.satisfied);
    const byDefault = vouchDenied ? DENIED_BY_DEFAULT : aces.length === 0 ? ALLOWED_BY_DEFAULT : null;
    return { op: operationName(op), allowed, byDefault, aces };
  });
  return { agent: agent.path, target: target.path, allowed: operations.every((o) => o.allowed), operations };
}

function explainAce(kept: KeptAce, side: 'target' | 'agent', roles: ReadonlySet<string>, redact: Redactor): AceExplanation {
  const acls = kept.ace.acls.map((acl: Acl) => {
    const by = aclSatisfiedBy(acl, roles);
    return { roles: acl.roles.map((r) => redact.role(r)), satisfied: by !== undefined, satisfiedBy: by === undefined ? null : redact.role(by) };
  });
  return {
    side,
    attachment: kept.direct ? 'direct' : 'inherited',
    attachedAt: kept.attachedTo.path,
    unique: kept.ace.unique.toString(),
    local: kept.ace.local,
    satisfied: acls.every((a) => a.satisfied),
    acls,
  };
}
