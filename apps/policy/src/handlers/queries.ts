import { checkContract, defaultOpenContract, detailsContract, handler, historyContract, listChildrenContract, whatCanContract, whoCanContract, type BusHandler } from '@am/bus';
import { compareOpenRegions, unwrap } from '@am/engine';
import { NotFoundError, Op, parseOperation, parsePath, REDACTED_PRINCIPAL, REDACTED_ROLE, ROOT_PATH, type ExportedAnnotationJson } from '@am/model';
import { replacesTree, type MetaEvent, type PointInTime } from '@am/store';
import { pageAfter } from '../metadata/paging';
import type { MetadataService, View } from '../metadata/metadata-service';
import { judgePastSight, PresentSight, type PastSight } from '../metadata/past-sight';
import { PastView } from '../metadata/time-travel';

/** History entries read and judged at a time while filling a page. */
const HISTORY_BATCH = 500;

/** Details of a node now, or (asOf) as the caller could see it then and may see it now. */
async function nodeDetails(svc: MetadataService, caller: string, path: string, includeChildren: boolean, asOf: PointInTime | undefined, atLeast: number | undefined) {
  if (!asOf) {
    const view = await svc.view(atLeast);
    return { revision: view.revision, ...unwrap(view.engine.details(caller, path, { includeChildren }, svc.clock())) };
  }
  // The past state as the caller could see it then, cut to what it may see now.
  const past = await PastView.open(svc, caller, asOf, atLeast);
  const { details, children } = unwrap(past.past.engine.details(caller, path, { includeChildren }, past.instant));
  const now = await past.seenNow([details.path, ...children]);
  if (!now(details.path)) throw new NotFoundError(`object not found for ${details.path}`);
  return { revision: past.past.revision, details: past.details(details), children: children.filter(now) };
}

/** One page of the (sorted) children: those after `after`, at most `limit`, and where the next starts. */
function pageOfChildren<T extends { revision: number; children: string[] }>(whole: T, page: { limit: number; after?: string }): T & { more?: { revision: number; after: string } } {
  const { items: children, more } = cut(whole.children, page, whole.revision);
  return { ...whole, children, ...(more ? { more } : {}) };
}

/** A later page's point in the past: its first page's revision, unless the view is still at it. */
function pastOfPage(view: View, page: { revision?: number }): { revision: number } | undefined {
  return page.revision === undefined || page.revision === view.revision ? undefined : { revision: page.revision };
}

/** Details, children, check/explain, who-can/what-can and history, all redacted for the caller. */
export function queryHandlers(svc: MetadataService): BusHandler[] {
  return [
    handler(detailsContract, async ({ credential, atLeast, path, includeChildren, asOf, page }) => {
      const caller = await svc.caller(credential);
      if (!page) return nodeDetails(svc, caller, path, includeChildren, asOf as PointInTime | undefined, atLeast);
      // Later pages are read at the first page's revision: the tree as it was then, if it has changed since.
      const at = pastOfPage(await svc.view(atLeast), page);
      const whole = await nodeDetails(svc, caller, path, true, at ?? (asOf as PointInTime | undefined), atLeast);
      return pageOfChildren(whole, page);
    }),
    handler(listChildrenContract, async ({ credential, atLeast, path }) => {
      const caller = await svc.caller(credential);
      const view = await svc.view(atLeast);
      return { revision: view.revision, children: unwrap(view.engine.details(caller, path, { includeChildren: true }, svc.clock())).children };
    }),
    handler(checkContract, async ({ credential, atLeast, target, ops, agent, explain, asOf }) => {
      const caller = await svc.caller(credential);
      const operations = ops.map(parseOperation);
      const subject = agent === undefined ? caller : parsePath(agent);
      if (!asOf) {
        const view = await svc.view(atLeast);
        const now = svc.clock();
        if (!explain && subject === caller) return { revision: view.revision, agent: caller, ...ownCheck(view, caller, target, operations, now) };
        const explanation = unwrap(view.engine.explain(caller, subject, target, operations, now));
        return { revision: view.revision, agent: subject, allowed: explanation.allowed, ...(explain ? { explanation } : {}) };
      }
      // The decision of then, answered only about what the caller could see then and may see now.
      const past = await PastView.open(svc, caller, asOf as PointInTime, atLeast);
      await past.requireVisible([parsePath(target), ...(subject === caller ? [] : [subject])]);
      if (!explain && subject === caller) return { revision: past.past.revision, agent: caller, ...ownCheck(past.past, caller, target, operations, past.instant) };
      const explanation = past.explanation(unwrap(past.past.engine.explain(caller, subject, target, operations, past.instant)));
      return { revision: past.past.revision, agent: subject, allowed: explanation.allowed, ...(explain ? { explanation } : {}) };
    }),
    handler(whoCanContract, async ({ credential, atLeast, target, op, under, page }) => {
      const caller = await svc.caller(credential);
      const r = await pageOfList(svc, caller, page, atLeast, (engine, now) => unwrap(engine.whoCan(caller, target, parseOperation(op), under, now)));
      return { revision: r.revision, principals: r.items, more: r.more };
    }),
    handler(defaultOpenContract, async ({ credential, atLeast, under, after, limit }) => {
      const caller = await svc.caller(credential);
      const view = await svc.view(atLeast);
      const page = pageAfter(unwrap(view.engine.defaultOpen(caller, under, svc.clock())), after, (r, at) => compareOpenRegions(r, at) > 0, limit);
      return { revision: view.revision, regions: page.items, more: page.more };
    }),
    handler(whatCanContract, async ({ credential, atLeast, principal, op, under, page }) => {
      const caller = await svc.caller(credential);
      const r = await pageOfList(svc, caller, page, atLeast, (engine, now) => unwrap(engine.whatCan(caller, principal, parseOperation(op), under, now)));
      return { revision: r.revision, paths: r.items, more: r.more };
    }),
    handler(historyContract, async ({ credential, atLeast, path, subtree, since, limit, page }) => {
      const caller = await svc.caller(credential);
      const view = await svc.view(atLeast);
      const target = parsePath(path);
      const now = svc.clock();
      unwrap(view.engine.check(caller, target, [Op.VIEW], now));
      const present = new PresentSight(view.engine, caller, now);
      // Pages go oldest first, each up to the first page's revision (later events wait for the next first page).
      const upTo = page?.revision ?? view.revision;
      let after = page ? page.after : since;
      // Read from the path's index in batches, each judged in its past with one replay, until a page is full.
      const visible: MetaEvent[] = [];
      const sightings = new Map<number, PastSight>();
      for (;;) {
        const batch = await svc.store.events({ path: target, subtree, after, upTo, first: HISTORY_BATCH });
        const candidates = batch.filter((e) => replacesTree(e) || present.sees(e.path));
        const entries = candidates.filter((e) => !replacesTree(e));
        const sight = await judgePastSight(svc.history, svc.store, present, caller, {
          sightings: entries.flatMap((e) => [e.path, ...(e.removed ?? [])].map((p) => ({ path: p, from: e.seq }))),
          entries,
          names: namesIn,
        });
        // Shown: visible now and then (removed nodes: just before their removal too).
        for (const e of candidates) {
          if (!replacesTree(e) && !(sight.visibleNow(e.path, e.seq) && sight.visibleThen(e))) continue;
          visible.push(e);
          sightings.set(e.seq, sight);
        }
        if (visible.length > limit || batch.length < HISTORY_BATCH) break;
        after = batch[batch.length - 1].seq;
      }
      const shown = visible.slice(0, limit);
      const more = visible.length > limit ? { revision: upTo, after: shown[shown.length - 1].seq } : undefined;
      const role = unwrap(view.engine.roleRedactor(caller, now));
      const actorNow = (principal: string) => view.engine.check(caller, principal, [Op.VIEW], now).ok;
      // The size of a booted or imported tree is the operators' to know (Admin on am://).
      const operator = view.engine.isAllowed(caller, ROOT_PATH, Op.ADMIN, now);
      return {
        revision: view.revision,
        more,
        events: shown.map((e) => {
          const sight = sightings.get(e.seq)!;
          const then = (name: string) => replacesTree(e) || sight.nameVisibleThen(e, name);
          const shownEvent = { ...e, ...(e.removed ? { removed: e.removed.filter((p) => sight.visibleNow(p, e.seq)) } : {}), ...(operator ? {} : { nodes: undefined }) };
          return eventView(
            shownEvent,
            (r) => (then(r) ? role(r) : REDACTED_ROLE),
            (a) => (then(a) && actorNow(a) ? a : REDACTED_PRINCIPAL),
          );
        }),
      };
    }),
  ];
}

/**
 * One page of a sorted list of paths that `list` computes on a tree. A first page (or one at the
 * view's revision) comes from the view; a later one from the tree at the first page's revision, as
 * the caller could see it then and may see it now (PastView), so that writes in between neither
 * repeat nor skip an item.
 */
async function pageOfList(
  svc: MetadataService,
  caller: string,
  page: { limit: number; after?: string; revision?: number } | undefined,
  atLeast: number | undefined,
  list: (engine: View['engine'], now: number) => string[],
): Promise<{ revision: number; items: string[]; more?: { revision: number; after: string } }> {
  const view = await svc.view(atLeast);
  const at = page ? pastOfPage(view, page) : undefined;
  if (!page || !at) {
    const items = list(view.engine, svc.clock());
    return page ? cut(items, page, view.revision) : { revision: view.revision, items };
  }
  const past = await PastView.open(svc, caller, at, atLeast);
  const then = list(past.past.engine, past.instant);
  const now = await past.seenNow(then);
  return cut(then.filter(now), page, at.revision);
}

/** The page of sorted `items` after `page.after`, and where the next starts (read at `revision`). */
function cut(items: string[], page: { limit: number; after?: string }, revision: number): { revision: number; items: string[]; more?: { revision: number; after: string } } {
  const { items: shown, more } = pageAfter(items, page.after, (p, after) => p > after, page.limit);
  return { revision, items: shown, ...(more ? { more: { revision, after: shown[shown.length - 1] } } : {}) };
}

/** The caller's own check: not-found stays an error (invisible), permission-denied is a plain "no". */
function ownCheck(view: Pick<View, 'engine'>, caller: string, target: string, ops: ReturnType<typeof parseOperation>[], now: number): { allowed: boolean } {
  const r = view.engine.check(caller, target, ops, now);
  if (r.ok) return { allowed: true };
  if (r.error.code === 'permission-denied') return { allowed: false };
  throw r.error;
}

/** The roles and the actor an entry names: each is shown only if the caller could View it then (and can now). */
function namesIn(e: MetaEvent): string[] {
  const names = new Set<string>([e.actor]);
  for (const a of [e.before, e.after, ...(e.annotations ?? [])]) {
    if (a?.role !== undefined) names.add(a.role);
    for (const acl of a?.acls ?? []) for (const r of acl.roles) names.add(r);
  }
  return [...names];
}

/**
 * An event as the caller may see it: roles in its annotations and the actor, when the caller cannot
 * View them, are replaced as details replaces roles (access-model §7.3).
 */
function eventView(e: MetaEvent, role: (role: string) => string, actor: (principal: string) => string) {
  const { id: _id, order: _order, generation: _generation, parts: _parts, ...rest } = e;
  const redact = <A extends ExportedAnnotationJson | null | undefined>(a: A): A =>
    a && { ...a, ...(a.role !== undefined ? { role: role(a.role) } : {}), ...(a.acls ? { acls: a.acls.map((acl) => ({ roles: acl.roles.map(role) })) } : {}) };
  return {
    ...rest,
    actor: actor(e.actor),
    ...(rest.before !== undefined ? { before: redact(rest.before) } : {}),
    ...(rest.after !== undefined ? { after: redact(rest.after) } : {}),
    ...(rest.annotations ? { annotations: rest.annotations.map(redact) } : {}),
  };
}
