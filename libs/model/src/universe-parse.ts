/**
 * Loading a universe file (universe-format §1–§5): validate everything first, collect every error,
 * and return the nodes, the warnings and the duplicate uniques that were renumbered.
 */
import { annotationFromJson } from './annotation-json';
import { REDACTED_ROLE } from './views';
import { checkAnnotationLimits } from './annotation-limits';
import { checkCertNamesAnnotation } from './cert-names';
import { Annotation, annotationKey, compareAnnotations, isAce, isAppliedRole, TextAnnotation } from './annotations';
import { AmError, InvalidArgumentError } from './errors';
import { comparePaths, isRootOrTopLevel, MAX_PATH_COMPONENTS, parentPath, parsePath, ROOT_PATH, TOP_LEVEL_PATHS } from './path';
import { LEAF_MARKER_TAGS, Tag } from './tags';
import { newUnique, RandomUint32 } from './unique';
import { Universe, UniverseNode, UniverseProblem } from './universe';

/** Unique given to `dir`/`leaf` annotations the loader adds or that come without one: a node has
 * at most one of each, so a fixed value loses nothing and keeps import(export(x)) == x. */
export const STRUCTURAL_UNIQUE = 1n;

export interface ParseUniverseOptions {
  /** Give later duplicates of (path, tag, unique) a fresh unique instead of refusing the file. */
  readonly renumberDuplicates?: boolean;
  readonly random?: RandomUint32;
}

export interface RenumberedUnique {
  readonly path: string;
  readonly tag: string;
  readonly from: bigint;
  readonly to: bigint;
}

export interface ParsedUniverse {
  readonly universe: Universe;
  readonly warnings: UniverseProblem[];
  readonly renumbered: RenumberedUnique[];
}

export class UniverseFormatError extends InvalidArgumentError {
  constructor(readonly problems: readonly UniverseProblem[]) {
    super(`invalid universe: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
}

const NODE_KEYS: Record<string, 'path' | 'meta' | 'children'> = {
  path: 'path',
  Path: 'path',
  meta: 'meta',
  Meta: 'meta',
  children: 'children',
  Children: 'children',
};

interface RawNode {
  path?: unknown;
  meta?: unknown;
  children?: unknown;
}

class UniverseLoader {
  readonly errors: UniverseProblem[] = [];
  readonly warnings: UniverseProblem[] = [];
  readonly renumbered: RenumberedUnique[] = [];
  readonly nodes = new Map<string, Annotation[]>();

  constructor(private readonly options: ParseUniverseOptions) {}

  error(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  /** Reads the node keys, accepting the capitalised spellings of reference dumps. */
  readNode(value: unknown, where: string): RawNode | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.error(where, 'a node must be a JSON object');
      return undefined;
    }
    const raw: RawNode = {};
    for (const [key, member] of Object.entries(value)) {
      const canonical = NODE_KEYS[key];
      if (!canonical) this.error(where, `unknown member ${JSON.stringify(key)}`);
      else if (canonical in raw) this.error(where, `member ${canonical} given twice`);
      else raw[canonical] = member;
    }
    return raw;
  }

  visit(value: unknown, expectedParent: string | undefined, where: string, depth = 0): void {
    // A path has at most MAX_PATH_COMPONENTS components, so no valid tree is deeper; stopping here
    // also bounds the recursion whatever the file holds.
    if (depth > MAX_PATH_COMPONENTS) {
      this.error(where, `nested deeper than ${MAX_PATH_COMPONENTS} levels below am:// (a path has at most ${MAX_PATH_COMPONENTS} components)`);
      return;
    }
    const raw = this.readNode(value, where);
    if (!raw) return;
    const path = this.readPath(raw.path, expectedParent, where);
    if (path === undefined) return;
    if (this.nodes.has(path)) {
      this.error(path, 'duplicate node path');
      return;
    }
    const annotations = this.readAnnotations(path, raw.meta);
    const children = this.readList(raw.children, path, 'children');
    const isLeaf = annotations.some((a) => LEAF_MARKER_TAGS.has(a.tag));
    this.addStructural(path, annotations, isLeaf, children.length);
    this.nodes.set(path, annotations.sort(compareAnnotations));
    if (path === ROOT_PATH) this.checkRoots(children);
    children.forEach((child, i) => this.visit(child, path, `${path} child #${i}`, depth + 1));
  }

  readPath(value: unknown, expectedParent: string | undefined, where: string): string | undefined {
    if (typeof value !== 'string') {
      this.error(where, 'missing or non-string path');
      return undefined;
    }
    let path: string;
    try {
      path = parsePath(value);
    } catch (e) {
      this.error(where, (e as Error).message);
      return undefined;
    }
    if (path !== value) this.error(value, 'path is not normalised (trailing "/")');
    if (expectedParent === undefined && path !== ROOT_PATH) this.error(path, 'the top-level object must be am://');
    if (expectedParent !== undefined && (path === ROOT_PATH || parentPath(path) !== expectedParent)) {
      this.error(path, `is not a direct child of ${expectedParent}`);
      return undefined;
    }
    return path;
  }

  readList(value: unknown, path: string, member: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.error(path, `${member} must be an array or null`);
      return [];
    }
    return value;
  }

  readAnnotations(path: string, meta: unknown): Annotation[] {
    const out: Annotation[] = [];
    const seen = new Set<string>();
    for (const raw of this.readList(meta, path, 'meta')) {
      const { item, dropped } = withoutRedactedRoles(raw);
      if (dropped) this.warnings.push({ path, message: dropped });
      if (item === undefined) continue;
      let a: Annotation;
      try {
        a = annotationFromJson(item);
        checkAnnotationLimits(a);
      } catch (e) {
        this.error(path, e instanceof AmError ? e.message : String(e));
        continue;
      }
      if (a.tag === Tag.CERT_NAMES) {
        try {
          checkCertNamesAnnotation(path, (a as TextAnnotation).data);
        } catch (e) {
          this.error(path, e instanceof AmError ? e.message : String(e));
          continue;
        }
      }
      out.push(this.assignIdentity(path, a, seen));
    }
    return out;
  }

  /** Version 1 for everything loaded; uniques assigned when 0, duplicates refused or renumbered. */
  assignIdentity(path: string, a: Annotation, seen: Set<string>): Annotation {
    const structural = a.tag === Tag.DIR || a.tag === Tag.LEAF;
    let unique = a.unique !== 0n ? a.unique : structural ? STRUCTURAL_UNIQUE : this.fresh(a.tag, seen);
    if (seen.has(annotationKey(a.tag, unique))) {
      if (this.options.renumberDuplicates) {
        const to = this.fresh(a.tag, seen);
        this.renumbered.push({ path, tag: a.tag, from: unique, to });
        this.warnings.push({ path, message: `duplicate ${a.tag}/${unique} renumbered to ${to}` });
        unique = to;
      } else {
        this.error(path, `duplicate annotation ${a.tag}/${unique}`);
      }
    }
    seen.add(annotationKey(a.tag, unique));
    return { ...a, unique, version: 1 };
  }

  fresh(tag: string, seen: Set<string>): bigint {
    for (;;) {
      const u = newUnique(this.options.random);
      if (!seen.has(annotationKey(tag, u))) return u;
    }
  }

  addStructural(path: string, annotations: Annotation[], isLeaf: boolean, childCount: number): void {
    const hasDir = annotations.some((a) => a.tag === Tag.DIR);
    if (isLeaf && hasDir) this.error(path, 'dir together with a leaf marker');
    if (isLeaf && childCount > 0) this.error(path, 'a leaf cannot have children');
    if (isLeaf && isRootOrTopLevel(path)) this.error(path, 'am:// and the four roots are always directories');
    const structuralTag = isLeaf ? Tag.LEAF : Tag.DIR;
    if (!annotations.some((a) => a.tag === structuralTag)) {
      const added: TextAnnotation = { tag: structuralTag, unique: STRUCTURAL_UNIQUE, version: 1, startMillis: 0, endMillis: 0, data: '' };
      annotations.push(added);
    }
  }

  checkRoots(children: unknown[]): void {
    const present = new Set(children.map((c) => (typeof c === 'object' && c !== null ? ((c as RawNode).path ?? (c as { Path?: unknown }).Path) : undefined)));
    for (const root of TOP_LEVEL_PATHS) if (!present.has(root)) this.error(ROOT_PATH, `missing root ${root}`);
  }

  /** Warnings of universe-format §5, computed once every node is known. */
  collectWarnings(): void {
    const isRoleLeaf = (r: string) => r.startsWith('am://role/') && (this.nodes.get(r)?.some((a) => a.tag === Tag.LEAF) ?? false);
    for (const [path, annotations] of this.nodes) {
      for (const a of annotations) {
        if (isAppliedRole(a)) {
          if (!isRoleLeaf(a.role)) this.warnings.push({ path, message: `applied role ${a.role} is not a role leaf of this universe` });
          if (path === ROOT_PATH) this.warnings.push({ path, message: `applied role ${a.role} at am:// has no effect` });
        } else if (isAce(a)) {
          if (a.acls.length === 0) this.warnings.push({ path, message: `ACE ${a.unique} has no ACLs (always satisfied)` });
          for (const acl of a.acls) {
            if (acl.roles.length === 0) this.warnings.push({ path, message: `ACE ${a.unique} has an ACL without roles (never satisfiable)` });
            for (const r of acl.roles) if (!isRoleLeaf(r)) this.warnings.push({ path, message: `ACE ${a.unique} names ${r}, which is not a role leaf of this universe` });
          }
        }
      }
    }
  }
}

/** Parses a universe file's JSON value; throws UniverseFormatError listing every problem. */
export function parseUniverse(json: unknown, options: ParseUniverseOptions = {}): ParsedUniverse {
  const loader = new UniverseLoader(options);
  loader.visit(json, undefined, 'top-level object');
  if (loader.errors.length > 0) throw new UniverseFormatError(loader.errors);
  loader.collectWarnings();
  const nodes: UniverseNode[] = [...loader.nodes].map(([path, annotations]) => ({ path, annotations })).sort((a, b) => comparePaths(a.path, b.path));
  return { universe: { nodes }, warnings: loader.warnings, renumbered: loader.renumbered };
}

/** Parses a universe file's text. */
export function parseUniverseText(text: string, options: ParseUniverseOptions = {}): ParsedUniverse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UniverseFormatError([{ path: ROOT_PATH, message: `not JSON: ${(e as Error).message}` }]);
  }
  return parseUniverse(json, options);
}

/**
 * An export redacts the roles its caller cannot see (access-model §7.3), so importing one meets
 * `## Redacted role ##` where a role path should be. Which role it stood for is unknowable, and
 * guessing one could only widen access; so the reference is dropped, in the direction that never
 * grants more: an applied role is not applied (its node holds fewer roles), and a redacted role is
 * taken out of its ACL (the ACL is harder to satisfy; one left empty is never satisfied). Each
 * drop is a warning that says so.
 */
function withoutRedactedRoles(item: unknown): { item?: unknown; dropped?: string } {
  if (typeof item !== 'object' || item === null) return { item };
  const a = item as { tag?: unknown; role?: unknown; unique?: unknown; acls?: unknown };
  if (a.tag === Tag.APPLIED_ROLE && a.role === REDACTED_ROLE) return { dropped: `applied role ${String(a.unique ?? '')} was redacted in the export it came from: not applied` };
  if (a.tag !== Tag.ACE || !Array.isArray(a.acls)) return { item };
  let count = 0;
  const acls = a.acls.map((acl: unknown) => {
    const roles = (acl as { roles?: unknown })?.roles;
    if (!Array.isArray(roles)) return acl;
    const kept = roles.filter((r) => r !== REDACTED_ROLE);
    count += roles.length - kept.length;
    return { ...(acl as object), roles: kept };
  });
  if (count === 0) return { item };
  return { item: { ...a, acls }, dropped: `ACE ${String(a.unique ?? '')}: ${count} role(s) redacted in the export it came from taken out of its ACLs (harder to satisfy; an empty ACL is never satisfied)` };
}
