import { checkContract, detailsContract, handler, historyContract, listChildrenContract, whatCanContract, whoCanContract, type BusHandler } from '@am/bus';
import { unwrap } from '@am/engine';
import { isAncestorOrSelf, Op, parentPath, parseOperation, parsePath, REDACTED_PRINCIPAL, ROOT_PATH, type ExportedAnnotationJson } from '@am/model';
import { eventMatches, type MetaEvent, type PointInTime } from '@am/store';
import type { MetadataService, View } from '../metadata/metadata-service';
import { pastVisibility } from './past-visibility';

/** Activity windows are judged at the instant asked about when travelling in time by date. */
const instant = (svc: MetadataService, asOf?: PointInTime) => (asOf?.time !== undefined ? Date.parse(asOf.time) : svc.clock());

/** Details, children, check/explain, who-can/what-can and history, all redacted for the caller. */
export function queryHandlers(svc: MetadataService): BusHandler[] {
  return [
    handler(detailsContract, async ({ credential, atLeast, path, includeChildren, asOf }) => {
      const caller = await svc.caller(credential);
      const view = await svc.viewAt(asOf as PointInTime | undefined, atLeast);
      const { details, children } = unwrap(view.engine.details(caller, path, { includeChildren }, instant(svc, asOf as PointInTime)));
      return { revision: view.revision, details, children };
    }),
    handler(listChildrenContract, async ({ credential, atLeast, path }) => {
      const caller = await svc.caller(credential);
      const view = await svc.view(atLeast);
      return { revision: view.revision, children: unwrap(view.engine.details(caller, path, { includeChildren: true }, svc.clock())).children };
    }),
    handler(checkContract, async ({ credential, atLeast, target, ops, agent, explain, asOf }) => {
      const caller = await svc.caller(credential);
      const view = await svc.viewAt(asOf as PointInTime | undefined, atLeast);
      const now = instant(svc, asOf as PointInTime);
      const operations = ops.map(parseOperation);
      const subject = agent === undefined ? caller : parsePath(agent);
      if (!explain && subject === caller) return { revision: view.revision, agent: caller, ...ownCheck(view, caller, target, operations, now) };
      const explanation = unwrap(view.engine.explain(caller, subject, target, operations, now));
      return { revision: view.revision, agent: subject, allowed: explanation.allowed, ...(explain ? { explanation } : {}) };
    }),
    handler(whoCanContract, async ({ credential, atLeast, target, op, under }) => {
      const caller = await svc.caller(credential);
      const view = await svc.view(atLeast);
      return { revision: view.revision, principals: unwrap(view.engine.whoCan(caller, target, parseOperation(op), under, svc.clock())) };
    }),
    handler(whatCanContract, async ({ credential, atLeast, principal, op, under }) => {
      const caller = await svc.caller(credential);
      const view = await svc.view(atLeast);
      return { revision: view.revision, paths: unwrap(view.engine.whatCan(caller, principal, parseOperation(op), under, svc.clock())) };
    }),
    handler(historyContract, async ({ credential, atLeast, path, subtree, since, limit }) => {
      const caller = await svc.caller(credential);
      const view = await svc.view(atLeast);
      const target = parsePath(path);
      unwrap(view.engine.check(caller, target, [Op.VIEW], svc.clock()));
      // The whole log once: the events asked for, and what past visibility needs to judge them.
      const log = await svc.store.events();
      const now = svc.clock();
      const candidates = log.filter((e) => eventMatches(e, { path: target, subtree, after: since }) && (e.path === ROOT_PATH || canSeeEventPath(view, caller, e, now)));
      const past = await pastVisibility(svc.history, log, caller, now, candidates);
      const shown = candidates.filter((e) => past.shown(e)).slice(-limit);
      const role = unwrap(view.engine.roleRedactor(caller, now));
      const actor = (principal: string) => (view.engine.check(caller, principal, [Op.VIEW], now).ok ? principal : REDACTED_PRINCIPAL);
      // The size of a booted or imported tree is the operators' to know (Admin on am://).
      const operator = view.engine.isAllowed(caller, ROOT_PATH, Op.ADMIN, now);
      return {
        revision: view.revision,
        events: shown.map((e) => eventView({ ...e, ...(e.removed ? { removed: past.removed(e) } : {}), ...(operator ? {} : { nodes: undefined }) }, role, actor)),
      };
    }),
  ];
}

/** The caller's own check: not-found stays an error (invisible), permission-denied is a plain "no". */
function ownCheck(view: View, caller: string, target: string, ops: ReturnType<typeof parseOperation>[], now: number): { allowed: boolean } {
  const r = view.engine.check(caller, target, ops, now);
  if (r.ok) return { allowed: true };
  if (r.error.code === 'permission-denied') return { allowed: false };
  throw r.error;
}

/**
 * History must not reveal what the caller cannot see: an event is shown when its node is visible
 * now or, for a node that is gone, when its nearest surviving ancestor is — and, if its node was
 * removed since, the caller could see it just before (pastVisibility).
 */
function canSeeEventPath(view: View, caller: string, e: MetaEvent, now: number): boolean {
  let path = e.path;
  while (path !== ROOT_PATH && !view.engine.has(path)) path = parentPath(path);
  return isAncestorOrSelf(path, e.path) && view.engine.check(caller, path, [Op.VIEW], now).ok;
}

/**
 * An event as the caller may see it: roles in its annotations and the actor, when the caller cannot
 * View them now, are replaced as details replaces roles (access-model §7.3).
 */
function eventView(e: MetaEvent, role: (role: string) => string, actor: (principal: string) => string) {
  const { id: _id, generation: _generation, parts: _parts, ...rest } = e;
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
