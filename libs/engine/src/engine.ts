/**
 * The engine facade a service calls from its projection: load a snapshot, apply committed changes
 * one at a time, and ask for decisions. Pure: no I/O, no clock (every query takes `now` in Unix ms).
 */
import {
  Annotation,
  DelegationAce,
  DetailsResult,
  formatOperationList,
  isPrincipalPath,
  NotFoundError,
  parsePath,
  Operation,
  PermissionDeniedError,
  RandomUint32,
  ROOT_PATH,
  UnauthenticatedError,
  Universe,
} from '@am/model';
import { AccessTree } from './access-tree';
import { freshen } from './derived-state';
import { ApprovedChange, ChangeRequest } from './changes';
import { DetailsOptions, nodeDetails } from './details';
import { Evaluator } from './evaluator';
import { explainDecision, Explanation } from './explain';
import { whatCan, whoCan } from './lookups';
import { defaultOpenRegions, type OpenRegion } from './default-open';
import { Redactor } from './redactor';
import { attempt, Result } from './result';
import {
  authenticateDemoIdentity,
  authorizeDatasetCredential,
  authorizeRoleUse,
  satisfiesDelegationAce,
  authorizeVouch,
  DatasetCredentialPlan,
  IdentitySettings,
  SshLoginSettings,
  sshLoginKeys,
} from './rules-credentials';
import { authorizeDeleteAnnotation, authorizePutAnnotation } from './rules-annotations';
import { authorizeCertificate, CertificateRequest } from './rules-certificates';
import { authorizeCreate, authorizeDelete } from './rules-nodes';
import { TreeNode } from './tree-node';
import { visibleExport, VisibleExport } from './visible-export';

/** An opaque handle on a node, for hot loops that decide many times on the same nodes. */
export type NodeRef = TreeNode;

export interface EngineOptions {
  /** Source of randomness for new uniques (defaults to crypto). */
  readonly random?: RandomUint32;
}

export class AccessEngine {
  private readonly ev: Evaluator;

  constructor(
    private readonly tree: AccessTree = new AccessTree(),
    private readonly options: EngineOptions = {},
  ) {
    this.ev = new Evaluator(tree);
  }

  static fromUniverse(universe: Universe, options: EngineOptions = {}): AccessEngine {
    return new AccessEngine(AccessTree.fromUniverse(universe), options);
  }

  // ---- projection: apply committed state, one event at a time --------------------------------

  /** Adds a node (its parent must exist); a `leaf` annotation makes it a leaf. */
  createNode(path: string, annotations: readonly Annotation[]): void {
    this.tree.addNode(path, annotations);
  }

  /** Removes a node and its whole subtree; returns the removed paths, deepest first. */
  deleteNode(path: string): string[] {
    return this.tree.removeSubtree(path);
  }

  /** Inserts or replaces the annotation (path, tag, unique) exactly as committed. */
  putAnnotation(path: string, annotation: Annotation): void {
    this.tree.putAnnotation(path, annotation);
  }

  deleteAnnotation(path: string, tag: string, unique: bigint): Annotation | undefined {
    return this.tree.removeAnnotation(path, tag, unique);
  }

  /** Applies a change approved by `authorize` (after the store committed it). */
  apply(change: ApprovedChange): void {
    switch (change.kind) {
      case 'create-node':
        return this.createNode(change.path, change.annotations);
      case 'delete-node':
        this.deleteNode(change.path);
        return;
      case 'put-annotation':
        return this.putAnnotation(change.path, change.annotation);
      case 'delete-annotation':
        this.deleteAnnotation(change.path, change.annotation.tag, change.annotation.unique);
        return;
    }
  }

  /** Computes derived state for every node at `now`, so that first decisions after a load are as fast as the rest. */
  warm(now: number): void {
    const root = this.tree.get(ROOT_PATH);
    if (root) for (const node of this.tree.descendants(root)) freshen(node, now);
  }

  toUniverse(): Universe {
    return this.tree.toUniverse();
  }

  get size(): number {
    return this.tree.size;
  }

  has(path: string): boolean {
    return this.tree.get(path) !== undefined;
  }

  /** Whether `path` is a principal that can be a caller: under am://user or am://workload, and not a directory of principals (TreeNode.canCall). */
  isCaller(path: string): boolean {
    const node = isPrincipalPath(path) ? this.tree.get(path) : undefined;
    return node !== undefined && node.canCall;
  }

  node(path: string): NodeRef | undefined {
    return this.tree.get(path);
  }

  // ---- decisions -------------------------------------------------------------------------------

  /** The bare rule (§4.2, §6, §8.5) without the View gate; false when either path is missing. */
  isAllowed(agent: string, target: string, op: Operation, now: number): boolean {
    const a = this.tree.get(agent);
    const t = this.tree.get(target);
    return a !== undefined && t !== undefined && this.ev.allowed(a, t, op, now);
  }

  isAllowedRef(agent: NodeRef, target: NodeRef, op: Operation, now: number): boolean {
    return this.ev.allowed(agent, target, op, now);
  }

  /** The caller may do all `ops` on `target`: not-found unless it can View it, then permission-denied. */
  check(caller: string, target: string, ops: readonly Operation[], now: number): Result<void> {
    return attempt(() => {
      const agent = this.caller(caller);
      const path = parsePath(target);
      const node = this.ev.visible(agent, path, now);
      if (!node) throw new NotFoundError(`${path} not found`);
      if (!this.ev.allowedAll(agent, node, ops, now)) throw new PermissionDeniedError(`${formatOperationList(ops)} not allowed on ${path}`);
    });
  }

  /** How role paths are shown to `caller` (§7.3, as in details): a role it cannot View is REDACTED_ROLE. */
  roleRedactor(caller: string, now: number): Result<(role: string) => string> {
    return attempt(() => {
      const redactor = new Redactor(this.ev, this.caller(caller), now);
      return (role: string) => redactor.role(role);
    });
  }

  details(caller: string, path: string, options: DetailsOptions, now: number): Result<DetailsResult> {
    return attempt(() => nodeDetails(this.ev, this.caller(caller), parsePath(path), options, now));
  }

  explain(asker: string, agent: string, target: string, ops: readonly Operation[], now: number): Result<Explanation> {
    return attempt(() => explainDecision(this.ev, this.caller(asker), parsePath(agent), parsePath(target), ops, now));
  }

  whoCan(asker: string, target: string, op: Operation, under: string, now: number): Result<string[]> {
    return attempt(() => whoCan(this.ev, this.caller(asker), parsePath(target), op, parsePath(under), now));
  }

  whatCan(asker: string, principal: string, op: Operation, under: string, now: number): Result<string[]> {
    return attempt(() => whatCan(this.ev, this.caller(asker), parsePath(principal), op, parsePath(under), now));
  }

  /**
   * Where ADMIN, WRITE or APPLYROLE is open because no ACE applies, under `under`: as the asker can
   * see it, or (no asker) the whole truth, for the operator's log and for linting a universe file.
   */
  defaultOpen(asker: string | undefined, under: string, now: number): Result<OpenRegion[]> {
    return attempt(() => {
      const path = parsePath(under);
      if (asker === undefined) {
        const top = this.tree.get(path);
        if (!top) throw new NotFoundError(`${path} not found`);
        return defaultOpenRegions(top, now);
      }
      const agent = this.caller(asker);
      const top = this.ev.visible(agent, path, now);
      if (!top) throw new NotFoundError(`${path} not found`);
      return defaultOpenRegions(top, now, (n) => this.ev.canView(agent, n, now));
    });
  }

  /** The subtree under `path` as the caller can see it, in the universe format. */
  exportVisible(caller: string, path: string, now: number): Result<VisibleExport> {
    return attempt(() => visibleExport(this.ev, this.caller(caller), parsePath(path), now));
  }

  /** Effective roles of a principal, root-to-leaf (for credentials; no View gate: they are its own). */
  effectiveRoles(principal: string, now: number): Result<string[]> {
    return attempt(() => this.ev.orderedRoles(this.caller(principal), now));
  }

  // ---- writes: authorize, then the service commits and calls apply() ---------------------------

  authorize(caller: string, request: ChangeRequest, now: number): Result<ApprovedChange> {
    return attempt(() => {
      const agent = this.caller(caller);
      switch (request.kind) {
        case 'create-node':
          return authorizeCreate(this.ev, agent, request, now);
        case 'delete-node':
          return authorizeDelete(this.ev, agent, request, now);
        case 'put-annotation':
          return authorizePutAnnotation(this.ev, agent, request, now, this.options.random);
        case 'delete-annotation':
          return authorizeDeleteAnnotation(this.ev, agent, request, now);
      }
    });
  }

  // ---- identity and credentials ----------------------------------------------------------------

  authorizeVouch(caller: string, principal: string, now: number): Result<string> {
    return attempt(() => authorizeVouch(this.ev, this.caller(caller), principal, now));
  }

  /** A certificate for a principal with DNS/IP names: the vouch rule, then reserved and granted names. */
  authorizeCertificate(caller: string, request: CertificateRequest, now: number): Result<string> {
    return attempt(() => authorizeCertificate(this.ev, this.caller(caller), request, now));
  }

  authorizeDatasetCredential(caller: string, dataset: string, operations: readonly unknown[], now: number): Result<DatasetCredentialPlan> {
    return attempt(() => authorizeDatasetCredential(this.ev, this.caller(caller), dataset, operations, now));
  }

  /** Roles the caller names in a delegation credential's ACEs: View + USEROLE on each. */
  authorizeRoleUse(caller: string, roles: readonly string[], now: number): Result<void> {
    return attempt(() => authorizeRoleUse(this.ev, this.caller(caller), roles, now));
  }

  /** Whether `principal` (the one presenting a delegation credential) satisfies its target ACE. */
  satisfiesDelegationAce(principal: string, ace: DelegationAce, now: number): Result<boolean> {
    return attempt(() => satisfiesDelegationAce(this.ev, this.caller(principal), ace, now));
  }

  authenticateDemoIdentity(credential: string, settings: IdentitySettings, now: number): Result<string> {
    return attempt(() => authenticateDemoIdentity(this.ev, credential, settings, now));
  }

  sshLoginKeys(principal: string, settings: SshLoginSettings, now: number): Result<string[]> {
    return attempt(() => sshLoginKeys(this.ev, principal, settings, now));
  }

  /** An authenticated caller must still exist and be a principal (§8.3 rule 8). */
  /** A directory of principals is a group, never a caller, however its path was presented. */
  private caller(path: string): TreeNode {
    const node = isPrincipalPath(path) ? this.tree.get(path) : undefined;
    if (!node) throw new UnauthenticatedError(`${path} not found`);
    if (!node.canCall) throw new UnauthenticatedError('invalid credential');
    return node;
  }
}
