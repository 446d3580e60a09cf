/** Annotation types (access-model §2): a header plus an ACE, applied-role or text payload. */
import { Operation } from './operations';
import { Tag } from './tags';
import { TimeWindow } from './time-window';

export interface AnnotationHeader extends TimeWindow {
  readonly tag: string;
  /** int64; 0n only in requests, meaning "assign one". */
  readonly unique: bigint;
  /** Stored version (≥ 1); in write requests the requested version (0, -1 or n, §2.4). */
  readonly version: number;
}

/** An ACL is satisfied by any one of its roles. */
export interface Acl {
  readonly roles: readonly string[];
}

export interface AceAnnotation extends AnnotationHeader {
  readonly tag: typeof Tag.ACE;
  readonly op: Operation;
  readonly local: boolean;
  readonly agent: boolean;
  /** Conjunction of ACLs (AND of ORs). */
  readonly acls: readonly Acl[];
}

export interface AppliedRoleAnnotation extends AnnotationHeader {
  readonly tag: typeof Tag.APPLIED_ROLE;
  readonly role: string;
}

/** Structural tags, markers, ssh keys, data-info and every free-form annotation. */
export interface TextAnnotation extends AnnotationHeader {
  readonly data: string;
}

export type Annotation = AceAnnotation | AppliedRoleAnnotation | TextAnnotation;

export function isAce(a: Annotation): a is AceAnnotation {
  return a.tag === Tag.ACE;
}

export function isAppliedRole(a: Annotation): a is AppliedRoleAnnotation {
  return a.tag === Tag.APPLIED_ROLE;
}

export function isTextAnnotation(a: Annotation): a is TextAnnotation {
  return a.tag !== Tag.ACE && a.tag !== Tag.APPLIED_ROLE;
}

/** Distinct roles named in an ACE's ACLs, in order of first appearance (roles(ace) of §9). */
export function aceRoles(ace: Pick<AceAnnotation, 'acls'>): string[] {
  const seen = new Set<string>();
  for (const acl of ace.acls) for (const r of acl.roles) seen.add(r);
  return [...seen];
}

/** The identity of an annotation on its node. */
export function annotationKey(tag: string, unique: bigint): string {
  return `${tag}/${unique}`;
}

/** Storage order inside a node: by tag, then unique compared as a decimal string (compat-rest §4.7). */
export function compareAnnotations(a: AnnotationHeader, b: AnnotationHeader): number {
  if (a.tag !== b.tag) return a.tag < b.tag ? -1 : 1;
  const ua = a.unique.toString();
  const ub = b.unique.toString();
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

export function withHeader<A extends Annotation>(a: A, header: Partial<AnnotationHeader>): A {
  return { ...a, ...header };
}
