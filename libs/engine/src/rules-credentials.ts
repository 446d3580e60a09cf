/**
 * Identity-related decisions: vouching (§8.5, default deny), dataset credentials (§9.1, §10),
 * demonstration identities (§8.2) and the ssh endpoint's native-login rule (§8.6).
 */
import {
  DelegationAce,
  delegationAceSatisfied,
  FailedPreconditionError,
  formatOperationList,
  InvalidArgumentError,
  isActive,
  isPrincipalPath,
  isTextAnnotation,
  NotFoundError,
  Op,
  Operation,
  parseDataInfo,
  parseOperation,
  parsePath,
  PermissionDeniedError,
  SSH_KEY_TAGS,
  Tag,
  UnauthenticatedError,
} from '@am/model';
import { Evaluator } from './evaluator';
import { checkRoleOperation } from './rules-annotations';
import { TreeNode } from './tree-node';

export const NATIVE_LOGIN_ROLE = 'am://role/native-login';

/** The caller may obtain a credential for `principal` (View + VOUCHFOR, default deny). */
export function authorizeVouch(ev: Evaluator, caller: TreeNode, principal: string, now: number): string {
  const path = parsePath(principal);
  if (!isPrincipalPath(path)) throw new InvalidArgumentError(`${path} is not a principal (am://user/... or am://workload/...)`);
  const node = ev.visible(caller, path, now);
  if (!node) throw new NotFoundError(`${path} not found`);
  if (!node.canCall) throw new InvalidArgumentError(`${path} is a directory of principals: only a principal can be vouched for`);
  if (!ev.allowed(caller, node, Op.VOUCHFOR, now)) throw new PermissionDeniedError(`permission denied: cannot vouch for ${path}`);
  return path;
}

export type DatasetCredentialPlan =
  /** A delegation credential for the caller with these roles (§10.3). */
  | { readonly kind: 'delegation'; readonly dataset: string; readonly roles: readonly string[] }
  /** Ask the credential factory described by the provider annotation (§10.2). */
  | { readonly kind: 'provider'; readonly dataset: string; readonly providerPath: string; readonly provider: string; readonly operations: readonly Operation[] };

export function authorizeDatasetCredential(ev: Evaluator, caller: TreeNode, dataset: string, operations: readonly unknown[], now: number): DatasetCredentialPlan {
  const path = parsePath(dataset);
  const ops = operations.map(parseOperation);
  const node = ev.visible(caller, path, now);
  if (!node) throw new NotFoundError(`${path} not found`);
  if (!ev.allowedAll(caller, node, ops, now)) throw new PermissionDeniedError(`${formatOperationList(ops)} not allowed on ${path}`);
  const info = activeText(node, Tag.DATA_INFO, now);
  if (info === undefined) throw new FailedPreconditionError(`no dataset info annotation for ${path}`);
  const delegated = parseDataInfo(info, path).delegatedAttributes;
  if (delegated.length > 0) {
    const wanted = new Set(delegated);
    return { kind: 'delegation', dataset: path, roles: ev.orderedRoles(caller, now).filter((r) => wanted.has(r)) };
  }
  for (let n: TreeNode | null = node; n; n = n.parent) {
    const provider = activeText(n, Tag.DATA_CREDENTIAL_PROVIDER, now);
    if (provider !== undefined) return { kind: 'provider', dataset: path, providerPath: n.path, provider, operations: ops };
  }
  throw new FailedPreconditionError(`no credential provider found for ${path}`);
}

/**
 * Naming roles in a delegation credential's target or heritable ACE is using them in an ACE: each
 * must be a role leaf the caller can View, with USEROLE (§5, as for an ACE on the tree).
 */
export function authorizeRoleUse(ev: Evaluator, caller: TreeNode, roles: readonly string[], now: number): void {
  checkRoleOperation(ev, caller, roles.map(parsePath), 'new', Op.USEROLE, now);
}

/** Does the principal's effective role set satisfy a delegation credential's target ACE (§4.1)? */
export function satisfiesDelegationAce(ev: Evaluator, principal: TreeNode, ace: DelegationAce, now: number): boolean {
  return delegationAceSatisfied(ace, new Set(ev.orderedRoles(principal, now)));
}

export interface IdentitySettings {
  /** §8.2: when false, principal paths are never accepted as credentials. */
  readonly allowDemoIdentities: boolean;
}

/**
 * §8.2: a principal path used directly as the credential; returns the principal path. Every
 * refusal is the same `invalid credential` (our decision D8.2, over §8.2's distinct messages): a
 * credential-less caller must not learn whether a path exists, is a directory, has an ssh key or
 * identity plugins. A directory of principals is never a caller (TreeNode.canCall).
 */
export function authenticateDemoIdentity(ev: Evaluator, credential: string, settings: IdentitySettings, now: number): string {
  const invalid = () => new UnauthenticatedError('invalid credential');
  if (!settings.allowDemoIdentities) throw invalid();
  let path: string;
  try {
    path = parsePath(credential.trim());
  } catch {
    throw invalid();
  }
  if (!isPrincipalPath(path)) throw invalid();
  const node = ev.tree.get(path);
  if (!node || !node.canCall) throw invalid();
  if (sshKeys(node, now).length > 0 || ev.hasApplicableAce(node, Op.VOUCHFOR, now)) throw invalid();
  return path;
}

export interface SshLoginSettings {
  /** §8.6 strict mode: a holder of am://role/native-login must pass View + VOUCHFOR on the principal. */
  readonly requireNativeLogin: boolean;
}

/** §8.6: the authorized_keys lines a login as `principal` may present; no key, no login. */
export function sshLoginKeys(ev: Evaluator, principal: string, settings: SshLoginSettings, now: number): string[] {
  let path: string;
  try {
    path = parsePath(principal);
  } catch {
    throw new UnauthenticatedError('invalid credential');
  }
  const node = isPrincipalPath(path) ? ev.tree.get(path) : undefined;
  if (!node) throw new UnauthenticatedError(`${path} not found`);
  if (!node.canCall) throw new UnauthenticatedError('invalid credential'); // a group logs in as nobody
  const keys = sshKeys(node, now);
  if (keys.length === 0) throw new UnauthenticatedError(`${path} has no ssh key`);
  if (settings.requireNativeLogin) {
    const nativeLogin = [ev.tree.roles.intern(NATIVE_LOGIN_ROLE)];
    if (!ev.allowedForRoles(nativeLogin, node, Op.VIEW, now) || !ev.allowedForRoles(nativeLogin, node, Op.VOUCHFOR, now)) {
      throw new UnauthenticatedError(`ssh login is not enabled for ${path} (${NATIVE_LOGIN_ROLE} may not vouch for it)`);
    }
  }
  return keys;
}

/** Keys on the principal node itself (annotations are not inherited), either tag spelling. */
function sshKeys(node: TreeNode, now: number): string[] {
  return node.annotations
    .filter(isTextAnnotation)
    .filter((a) => SSH_KEY_TAGS.has(a.tag) && isActive(a, now))
    .map((a) => a.data);
}

function activeText(node: TreeNode, tag: string, now: number): string | undefined {
  for (const a of node.annotations) if (a.tag === tag && isTextAnnotation(a) && isActive(a, now)) return a.data;
  return undefined;
}
