import { unwrap, type Explanation } from '@am/engine';
import { isAce, isAncestorOrSelf, isAppliedRole, isRootOrTopLevel, InvalidArgumentError, NotFoundError, Op, parentPath, REDACTED_ROLE, type Annotation, type DetailsResult, type Universe, type UniverseNode } from '@am/model';
import type { PastTree, PointInTime } from '@am/store';
import { judgePastSight, PresentSight } from './past-sight';
import type { MetadataService, View } from './metadata-service';

/**
 * A past state as one caller may see it (issue 17 #4): what it could see then — resolved in the
 * past tree, with its roles of then — and may see now. The caller is who its credential names now;
 * it must have existed at the point asked about.
 */
export class PastView {
  private constructor(
    private readonly svc: MetadataService,
    readonly past: PastTree,
    readonly present: View,
    private readonly caller: string,
    private readonly sight: PresentSight,
    private readonly presentRole: (role: string) => string,
  ) {}

  /** Opens the tree at `asOf` for `caller`. */
  static async open(svc: MetadataService, caller: string, asOf: PointInTime, atLeast?: number): Promise<PastView> {
    const present = await svc.view(atLeast);
    const past = await svc.history.at(asOf);
    if (!past.engine.has(caller)) {
      throw new InvalidArgumentError(`asOf: ${caller} did not exist at ${asOf.time !== undefined ? asOf.time : `revision ${asOf.revision}`}`);
    }
    const now = svc.clock();
    return new PastView(svc, past, present, caller, new PresentSight(present.engine, caller, now), unwrap(present.engine.roleRedactor(caller, now)));
  }

  /** The instant the past tree is judged at (activity windows): the time asked, or that of the revision. */
  get instant(): number {
    return this.past.time;
  }

  /** Of `paths`, seen in the past state, those the caller may also see now (removed since: PastSight.now). */
  async seenNow(paths: readonly string[]): Promise<(path: string) => boolean> {
    const from = this.past.revision + 1;
    const judged = await judgePastSight(this.svc.history, this.svc.store, this.sight, this.caller, { sightings: paths.map((path) => ({ path, from })) });
    return (path) => judged.visibleNow(path, from);
  }

  /** Not found (`<path> not found`) unless the caller can View each path then and now, judged one path at a time in order. */
  async requireVisible(paths: readonly string[]): Promise<void> {
    const now = await this.seenNow(paths);
    for (const path of paths) {
      const then = this.past.engine.check(this.caller, path, [Op.VIEW], this.instant);
      if (!then.ok && then.error.code !== 'not-found' && then.error.code !== 'permission-denied') throw then.error;
      if (!then.ok || !now(path)) throw new NotFoundError(`${path} not found`);
    }
  }

  /** A role as shown: redacted unless visible then (the past engine redacted it already) and now. */
  readonly role = (role: string): string => (role === REDACTED_ROLE ? role : this.presentRole(role));

  details(d: DetailsResult['details']): DetailsResult['details'] {
    const applied = <A extends { role: string }>(a: A): A => ({ ...a, role: this.role(a.role) });
    const ace = <A extends { acls: { roles: string[] }[] }>(a: A): A => ({ ...a, acls: a.acls.map((acl) => ({ roles: acl.roles.map(this.role) })) });
    return { ...d, roles: d.roles.map(applied), inheritedRoles: d.inheritedRoles.map(applied), aces: d.aces.map(ace), inheritedAces: d.inheritedAces.map(ace) };
  }

  explanation(x: Explanation): Explanation {
    return {
      ...x,
      operations: x.operations.map((o) => ({
        ...o,
        aces: o.aces.map((a) => ({ ...a, acls: a.acls.map((acl) => ({ ...acl, roles: acl.roles.map(this.role), satisfiedBy: acl.satisfiedBy === null ? null : this.role(acl.satisfiedBy) })) })),
      })),
    };
  }

  /**
   * An export of the past tree (already what the caller could see then, under `root`) cut to what
   * it may see now: a node stays when it and its parent do; a top-level root that goes stays bare,
   * so that the file still loads.
   */
  async universe(u: Universe, root: string): Promise<Universe> {
    const inside = u.nodes.filter((n) => isAncestorOrSelf(root, n.path));
    const now = await this.seenNow(inside.map((n) => n.path));
    const kept = new Set<string>();
    const nodes: UniverseNode[] = [];
    // Sorted by path, so a parent comes before its children.
    for (const n of u.nodes) {
      if (!isAncestorOrSelf(root, n.path)) nodes.push(n);
      else if ((n.path === root || kept.has(parentPath(n.path))) && now(n.path)) {
        kept.add(n.path);
        nodes.push({ ...n, annotations: n.annotations.map((a) => this.annotation(a)) });
      } else if (isRootOrTopLevel(n.path)) nodes.push({ path: n.path, annotations: [] });
    }
    return { nodes };
  }

  private annotation(a: Annotation): Annotation {
    if (isAppliedRole(a)) return { ...a, role: this.role(a.role) };
    if (isAce(a)) return { ...a, acls: a.acls.map((acl) => ({ roles: acl.roles.map(this.role) })) };
    return a;
  }
}
