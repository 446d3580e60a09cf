/**
 * Annotate and delete-annotation (§9.1 rows for free-form annotations, applied roles and ACEs),
 * in the check order of §9.2: arguments, View on the node, Admin on the node, roles named by the
 * change (old before new), then state (versions, self-lockout guard).
 */
import {
  AceAnnotation,
  aceRoles,
  Annotation,
  checkExpectedVersion,
  FailedPreconditionError,
  isAce,
  isAppliedRole,
  isRolePath,
  newUnique,
  nextVersion,
  NotFoundError,
  Op,
  Operation,
  PermissionDeniedError,
  RandomUint32,
  REDACTED_ROLE,
  parsePath,
  Tag,
} from '@am/model';
import { ApprovedChange, DeleteAnnotationRequest, PutAnnotationRequest } from './changes';
import { validateAnnotationInput, validateStructuralTagUntouched } from './annotation-input';
import { Evaluator } from './evaluator';
import { allowedUncached } from './kept-aces';
import { isSelfGrant } from './rules-certificates';
import { TreeNode } from './tree-node';

export function authorizePutAnnotation(ev: Evaluator, caller: TreeNode, request: PutAnnotationRequest, now: number, random?: RandomUint32): ApprovedChange {
  const path = parsePath(request.path);
  const annotation = validateAnnotationInput(request.annotation, path);
  const node = requireViewableNode(ev, caller, path, now);
  if (!ev.allowed(caller, node, Op.ADMIN, now)) throw new PermissionDeniedError(`permission denied: cannot change annotations of ${path}`);
  if (annotation.tag === Tag.CERT_NAMES && isSelfGrant(caller, path)) {
    throw new PermissionDeniedError(`permission denied: ${caller.path} cannot grant certificate names to itself (${path} is it or above it); an administrator must`);
  }
  const existing = annotation.unique === 0n ? undefined : node.find(annotation.tag, annotation.unique);
  const previous = existing && annotation.version !== 0 ? existing : undefined;
  if (isAppliedRole(annotation)) {
    if (previous && isAppliedRole(previous)) checkRoleOperation(ev, caller, [previous.role], 'old', Op.APPLYROLE, now);
    checkRoleOperation(ev, caller, [annotation.role], 'new', Op.APPLYROLE, now);
  } else if (isAce(annotation)) {
    if (previous && isAce(previous)) checkRoleOperation(ev, caller, aceRoles(previous), 'old', Op.USEROLE, now);
    checkRoleOperation(ev, caller, aceRoles(annotation), 'new', Op.USEROLE, now);
  }
  const unique = annotation.unique !== 0n ? annotation.unique : freshUnique(node, annotation.tag, random);
  const describe = () => `annotation ${annotation.tag}/${unique} on ${path}`;
  const version = nextVersion(existing?.version, annotation.version, describe);
  const written = { ...annotation, unique, version } as Annotation;
  if (isAce(written) && !request.force) guardAgainstLockout(ev, caller, node, written, now);
  return { kind: 'put-annotation', path, annotation: written, ...(existing ? { previous: existing } : {}) };
}

export function authorizeDeleteAnnotation(ev: Evaluator, caller: TreeNode, request: DeleteAnnotationRequest, now: number): ApprovedChange {
  const path = parsePath(request.path);
  validateStructuralTagUntouched(request.tag);
  const node = requireViewableNode(ev, caller, path, now);
  const annotation = node.find(request.tag, request.unique);
  if (!annotation) throw new NotFoundError(`no ${request.tag}/${request.unique} annotation found on ${path}`);
  if (!ev.allowed(caller, node, Op.ADMIN, now)) {
    throw new PermissionDeniedError(`permission denied, must have View and Admin permissions for ${path}`);
  }
  // The roles the removal touches, the permission each needs, and the refusal naming a role.
  const touched = isAppliedRole(annotation)
    ? { roles: [annotation.role], op: Op.APPLYROLE, refusal: (r: string) => `permission denied, must have View and ApplyRole permissions for ${r}` }
    : isAce(annotation)
      ? { roles: aceRoles(annotation), op: Op.USEROLE, refusal: (r: string) => `cannot delete ACE, permission denied for using role ${r}` }
      : undefined;
  // Roles that no longer exist are skipped so that dangling references can be cleaned up.
  for (const r of touched ? existingRoles(ev, touched.roles) : []) {
    if (touched && !roleAllows(ev, caller, r, touched.op, now)) throw new PermissionDeniedError(touched.refusal(shownRole(ev, caller, r, now)));
  }
  checkExpectedVersion(annotation.version, request.expectedVersion, () => `annotation ${request.tag}/${request.unique} on ${path}`);
  return { kind: 'delete-annotation', path, annotation };
}

function requireViewableNode(ev: Evaluator, caller: TreeNode, path: string, now: number): TreeNode {
  const node = ev.visible(caller, path, now);
  if (!node) throw new NotFoundError(`${path} not found`);
  return node;
}

/**
 * New roles must exist as role leaves the caller can View (else one indistinguishable not-found,
 * §5.1), then allow `op`. Old roles (being replaced) that no longer exist are skipped, and an
 * invisible old role is named redacted, since the caller only ever saw it redacted.
 */
export function checkRoleOperation(ev: Evaluator, caller: TreeNode, roles: readonly string[], age: 'old' | 'new', op: Operation, now: number): void {
  const denied = (r: string) =>
    new PermissionDeniedError(op === Op.APPLYROLE ? `permission denied for applying role ${r}` : `permission denied for using role ${r} in permission`);
  for (const r of age === 'old' ? existingRoles(ev, roles) : roles) {
    const role = ev.visible(caller, r, now);
    if (age === 'new' && (!role || !role.isLeaf || !isRolePath(r))) throw new NotFoundError(`role ${r} not found`);
    if (!role) throw denied(REDACTED_ROLE);
    if (!ev.allowed(caller, role, op, now)) throw denied(r);
  }
}

function existingRoles(ev: Evaluator, roles: readonly string[]): string[] {
  return roles.filter((r) => ev.tree.get(r) !== undefined);
}

function roleAllows(ev: Evaluator, caller: TreeNode, role: string, op: Operation, now: number): boolean {
  const node = ev.visible(caller, role, now);
  return node !== undefined && ev.allowed(caller, node, op, now);
}

function shownRole(ev: Evaluator, caller: TreeNode, role: string, now: number): string {
  return ev.roleVisible(caller, role, now) ? role : REDACTED_ROLE;
}

function freshUnique(node: TreeNode, tag: string, random?: RandomUint32): bigint {
  for (;;) {
    const unique = newUnique(random);
    if (!node.find(tag, unique)) return unique;
  }
}

/** G31: refuse an ACE change after which the caller could no longer View or Admin the node. */
function guardAgainstLockout(ev: Evaluator, caller: TreeNode, node: TreeNode, written: AceAnnotation, now: number): void {
  if (written.op !== Op.VIEW && written.op !== Op.ADMIN) return;
  const aces = node.aces.map((c) => c.annotation).filter((a) => a.unique !== written.unique);
  const override = { node, aces: [...aces, written] };
  const callerRoles = new Set(ev.orderedRoles(caller, now));
  const nodeRoles = new Set(ev.orderedRoles(node, now));
  for (const op of [Op.VIEW, Op.ADMIN] as const) {
    if (!allowedUncached(caller, callerRoles, node, nodeRoles, op, now, override)) {
      throw new FailedPreconditionError(
        `this ACE would remove your own ${op === Op.VIEW ? 'View' : 'Admin'} permission on ${node.path}; repeat with force to apply it anyway`,
      );
    }
  }
}
