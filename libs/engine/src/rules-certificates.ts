/**
 * Certificates (docs/access-model-decisions.md, "Certificates"): may the caller obtain a
 * certificate for a principal, with these DNS names and IP addresses? One decision, on one view:
 * the vouch rule for the principal, then every name must be outside the issuer's reserved names
 * and covered by an active `cert-names` grant on the principal or one of its ancestors.
 */
import {
  CertNameGrant,
  formatCertName,
  grantCovers,
  InvalidArgumentError,
  isActive,
  isAncestorOrSelf,
  isTextAnnotation,
  parseCertNameGrants,
  parsePath,
  parseRequestedCertNames,
  PermissionDeniedError,
  Tag,
  WORKLOAD_ROOT,
} from '@am/model';
import { Evaluator } from './evaluator';
import { authorizeVouch } from './rules-credentials';
import { TreeNode } from './tree-node';

export interface CertificateRequest {
  /** The principal the certificate is for. */
  readonly principal: string;
  readonly dns: readonly string[];
  readonly ip: readonly string[];
  /** Names the issuer keeps for itself (the gateway's), in the grant syntax; never granted by the tree. */
  readonly reserved: readonly string[];
  /** The caller may obtain a certificate for itself without VOUCHFOR (a principal renews its own). */
  readonly allowSelf: boolean;
}

/** Returns the principal's normalised path, or throws invalid-argument / not-found / permission-denied. */
export function authorizeCertificate(ev: Evaluator, caller: TreeNode, request: CertificateRequest, now: number): string {
  const path = parsePath(request.principal);
  const names = parseRequestedCertNames(request.dns, request.ip);
  const reserved = request.reserved.length ? parseCertNameGrants(request.reserved.join(','), 'the reserved names') : [];
  if (names.length > 0 && !isAncestorOrSelf(WORKLOAD_ROOT, path)) {
    throw new InvalidArgumentError('DNS/IP names are only issued in server certificates, and server certificates only to am://workload/… principals');
  }
  const principal = request.allowSelf && path === caller.path ? caller : ev.tree.get(authorizeVouch(ev, caller, path, now))!;
  if (names.length === 0) return principal.path;
  for (const name of names) {
    if (reserved.some((r) => grantCovers(r, name))) throw new PermissionDeniedError(`certificate name "${formatCertName(name)}" is reserved for the gateway`);
  }
  const grants = grantedNames(principal, now);
  for (const name of names) {
    if (!grants.some((g) => grantCovers(g, name))) {
      throw new PermissionDeniedError(
        `certificate name "${formatCertName(name)}" is not granted to ${principal.path} (grant it with a ${Tag.CERT_NAMES} annotation on it or a directory above it; that needs ADMIN there)`,
      );
    }
  }
  return principal.path;
}

/** Active grants on the node and its ancestors (inherited down, like data-credential-provider). */
export function grantedNames(node: TreeNode, now: number): CertNameGrant[] {
  const out: CertNameGrant[] = [];
  for (let n: TreeNode | null = node; n; n = n.parent) {
    for (const a of n.annotations) {
      if (a.tag !== Tag.CERT_NAMES || !isTextAnnotation(a) || !isActive(a, now)) continue;
      try {
        out.push(...parseCertNameGrants(a.data, a.tag));
      } catch {
        // Written before the tag was interpreted, or planted: a grant that does not parse grants nothing.
      }
    }
  }
  return out;
}

/** A principal never grants names to itself, directly or through a directory above it. */
export function isSelfGrant(caller: TreeNode, path: string): boolean {
  return isAncestorOrSelf(path, caller.path);
}
