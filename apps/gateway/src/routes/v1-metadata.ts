import { Readable } from 'node:stream';
import {
  annotateContract,
  checkContract,
  createNodeContract,
  deleteAnnotationContract,
  deleteNodeContract,
  detailsContract,
  exportUniverseContract,
  ExplanationView,
  historyContract,
  loadUniverseContract,
  MetaEventView,
  NodeDetailsView,
  resolveCallerContract,
  StoredAnnotation,
  whatCanContract,
  whoCanContract,
  defaultOpenContract,
  OpenRegionView,
  type BusClient,
} from '@am/bus';
import { aceJsonSchema, appliedRoleJsonSchema, InvalidArgumentError, NotFoundError, textAnnotationJsonSchema } from '@am/model';
import { z } from 'zod';
import { answer, route, type RouteSpec } from '../http/route';
import { bootAllowed } from '../http/bootstrap-token';

/** `user/hpe/bu1/alice` (URL form, no scheme) → `am://user/hpe/bu1/alice`; '' → `am://`. */
export const treePath = (wildcard: string) => `am://${wildcard.replace(/\/+$/, '')}`;

const Revision = z.number().int();
/** Bytes of a universe file sent to POST /v1/universe. */
export const UNIVERSE_BODY_LIMIT = 64 * 1024 * 1024;
/** A node named in a query: `am://user/hpe` or, as in /v1/nodes/ URLs, `user/hpe`. */
const NodeQuery = z
  .string()
  .max(4096)
  .transform((v) => (v.startsWith('am://') ? v : treePath(v)))
  .describe('a tree path, with or without the am:// scheme (am://user/hpe or user/hpe)');
/** A page cursor: opaque to clients (base64url of where the next page starts). */
const encodeCursor = (at: object) => Buffer.from(JSON.stringify(at)).toString('base64url');
const cursorOf = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .max(8192)
    .transform((v, ctx): z.output<T> => {
      try {
        return schema.parse(JSON.parse(Buffer.from(v, 'base64url').toString('utf8')));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not a cursor this API gave out (use "next" of the previous page)' });
        return z.NEVER;
      }
    });
const RegionCursor = cursorOf(z.strictObject({ path: z.string().min(1).max(4096), operation: z.enum(['ADMIN', 'WRITE', 'APPLYROLE']) }));
/** Where the next page of a list of paths (children, who-can, what-can) starts, and the revision all its pages are read at. */
const ListCursor = cursorOf(z.strictObject({ revision: z.number().int().nonnegative(), after: z.string().min(1).max(4096) }));
const HistoryCursor = cursorOf(z.strictObject({ revision: z.number().int().nonnegative(), after: z.number().int().nonnegative() }));
/** A list's page as asked in the query (limit, then cursor = the previous page's next); none: the whole list. */
const listPage = (query: { limit?: number; cursor?: z.output<typeof ListCursor> }) =>
  query.limit !== undefined || query.cursor ? { limit: query.limit ?? 1000, ...(query.cursor ?? {}) } : undefined;
/** The `next` of a page: the cursor of where the following one starts, if one does. */
const nextOf = (more: object | undefined) => (more ? { next: encodeCursor(more) } : {});
/** A page size in a query: as many digits as `max` has, taken between 1 and `max`. */
const Limit = (max: number) =>
  z
    .string()
    .regex(new RegExp(`^\\d{1,${String(max).length}}$`))
    .transform((v) => Math.max(1, Math.min(max, Number(v))));
const OpName = z.string().min(1).max(16);
const Bool = z.enum(['true', 'false']).transform((v) => v === 'true');
/** `asOf` in a query: a revision number or an ISO 8601 instant. */
const AsOfQuery = z
  .string()
  .max(64)
  .transform((v, ctx) => {
    if (/^\d{1,15}$/.test(v)) return { revision: Number(v) };
    if (!Number.isNaN(Date.parse(v)) && /^\d{4}-\d\d-\d\dT/.test(v)) return { time: new Date(v).toISOString() };
    ctx.addIssue({ code: 'custom', message: 'must be a revision number or an ISO 8601 time' });
    return z.NEVER;
  });
/** `asOf` in a JSON body: as in a query; a bad one is the caller's mistake (400, naming the field). */
function asOfOf(value: number | string): z.output<typeof AsOfQuery> {
  const r = AsOfQuery.safeParse(String(value));
  if (r.success) return r.data;
  throw Object.assign(new InvalidArgumentError(`body.asOf: ${r.error.issues[0].message}`), { field: 'body.asOf' });
}
const AnnotationBody = z.union([aceJsonSchema, appliedRoleJsonSchema, textAnnotationJsonSchema]);
const NodeView = NodeDetailsView.extend({ children: z.array(z.string()), revision: Revision });

export interface V1Deps {
  bus: BusClient;
  /** Booting an empty store needs `Authorization: Bearer <this token>`; unset, it is refused. */
  bootstrapToken?: string;
}

/** The v1 REST API over the policy service: nodes, annotations, decisions, history, universes. */
export function v1MetadataRoutes({ bus, bootstrapToken }: V1Deps): RouteSpec[] {
  return [
    route({
      method: 'GET',
      url: '/v1/nodes/*',
      summary: 'Details of a node (roles, ACEs, annotations, children), redacted for the caller',
      tag: 'nodes',
      query: z.strictObject({ asOf: AsOfQuery.optional(), limit: Limit(10_000).optional(), cursor: ListCursor.optional() }),
      response: NodeView.extend({ next: z.string().optional() }),
      errors: [400, 401, 404, 503],
      auth: true,
      async handle({ query, wildcard, credential, atLeast }) {
        // Children in pages when asked, all read at the first page's revision.
        const r = await bus.request(detailsContract, { credential: credential!, atLeast, path: treePath(wildcard), includeChildren: true, asOf: query.asOf, page: listPage(query) });
        return { body: { ...r.details, children: r.children, revision: r.revision, ...nextOf(r.more) }, revision: r.revision };
      },
    }),
    route({
      method: 'PUT',
      url: '/v1/nodes/*',
      summary: 'Create a node (a directory or a leaf)',
      tag: 'nodes',
      body: z.strictObject({ kind: z.enum(['dir', 'leaf']) }),
      response: z.object({ path: z.string(), revision: Revision }),
      status: 201,
      errors: [400, 401, 403, 404, 409, 503],
      auth: true,
      async handle({ body, wildcard, credential, atLeast }) {
        return answer(await bus.request(createNodeContract, { credential: credential!, atLeast, path: treePath(wildcard), directory: body.kind === 'dir' }));
      },
    }),
    route({
      method: 'DELETE',
      url: '/v1/nodes/*',
      summary: 'Delete a node (recursive=true for a non-empty directory), or one annotation at …/annotations/{tag}/{unique}',
      tag: 'nodes',
      documentedAt: [
        { url: '/v1/nodes/{path}', summary: 'Delete a node (recursive=true for a non-empty directory)' },
        { url: '/v1/nodes/{path}/annotations/{tag}/{unique}', summary: 'Delete one annotation (version=n: only if it is still at version n)' },
      ],
      query: z.strictObject({ recursive: Bool.optional(), version: z.string().regex(/^-?\d{1,15}$/).optional() }),
      response: z.object({ removed: z.array(z.string()).optional(), revision: Revision }),
      errors: [400, 401, 403, 404, 409, 503],
      auth: true,
      async handle({ query, wildcard, credential, atLeast }) {
        const annotation = /^(.*?)\/?annotations\/([^/]+)\/(-?\d+)$/.exec(wildcard);
        if (annotation) {
          const [, node, tag, unique] = annotation;
          const expectedVersion = query.version === undefined ? undefined : Number(query.version);
          return answer(await bus.request(deleteAnnotationContract, { credential: credential!, atLeast, path: treePath(node), tag, unique, expectedVersion }));
        }
        if (query.version !== undefined) throw Object.assign(new InvalidArgumentError('version applies to annotations only'), { field: 'query.version' });
        return answer(await bus.request(deleteNodeContract, { credential: credential!, atLeast, path: treePath(wildcard), recursive: query.recursive ?? false }));
      },
    }),
    route({
      method: 'POST',
      url: '/v1/nodes/*',
      summary: 'Add or replace an annotation at …/annotations (unique + version to replace: 0 create-only, -1 unconditional, n compare-and-set)',
      tag: 'annotations',
      documentedAt: [{ url: '/v1/nodes/{path}/annotations' }],
      query: z.strictObject({ force: Bool.optional() }),
      body: AnnotationBody,
      response: z.object({ annotation: StoredAnnotation, revision: Revision }),
      errors: [400, 401, 403, 404, 409, 413, 503],
      auth: true,
      async handle({ query, body, wildcard, credential, atLeast }) {
        const m = /^(.*?)\/?annotations$/.exec(wildcard);
        if (!m) throw new NotFoundError('POST /v1/nodes/{path}/annotations is the only POST under /v1/nodes');
        const request = bus.request(annotateContract, { credential: credential!, atLeast, path: treePath(m[1]), annotation: body, force: query.force ?? false });
        // The policy service names the annotation's member at fault; here the annotation is the body.
        return answer(await request.catch((err: { field?: string }) => Promise.reject(err.field ? Object.assign(err, { field: `body.${err.field}` }) : err)));
      },
    }),
    route({
      method: 'POST',
      url: '/v1/check',
      summary: 'May the caller (or another agent) do these operations on the target? Optionally explained',
      tag: 'decisions',
      body: z.strictObject({
        target: z.string(),
        ops: z.array(OpName).min(1).max(16),
        agent: z.string().optional(),
        explain: z.boolean().optional(),
        asOf: z.union([Revision, z.string()]).optional(),
      }),
      response: z.object({ allowed: z.boolean(), agent: z.string(), revision: Revision, explanation: ExplanationView.optional() }),
      errors: [400, 401, 404, 503],
      auth: true,
      async handle({ body, credential, atLeast }) {
        const asOf = body.asOf === undefined ? undefined : asOfOf(body.asOf);
        return answer(await bus.request(checkContract, { credential: credential!, atLeast, target: body.target, ops: body.ops, agent: body.agent, explain: body.explain ?? false, asOf }));
      },
    }),
    route({
      method: 'GET',
      url: '/v1/who-can',
      summary: 'Principals that may do an operation on a target (limited to what the caller can see)',
      tag: 'decisions',
      query: z.strictObject({ target: NodeQuery, op: OpName, under: NodeQuery.optional(), limit: Limit(10_000).optional(), cursor: ListCursor.optional() }),
      response: z.object({ principals: z.array(z.string()), next: z.string().optional(), revision: Revision }),
      errors: [400, 401, 404, 503],
      auth: true,
      async handle({ query, credential, atLeast }) {
        const r = await bus.request(whoCanContract, { credential: credential!, atLeast, target: query.target, op: query.op, under: query.under ?? 'am://', page: listPage(query) });
        return { body: { principals: r.principals, ...nextOf(r.more), revision: r.revision }, revision: r.revision };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/what-can',
      summary: 'Paths on which a principal may do an operation (limited to what the caller can see)',
      tag: 'decisions',
      query: z.strictObject({ principal: NodeQuery, op: OpName, under: NodeQuery.optional(), limit: Limit(10_000).optional(), cursor: ListCursor.optional() }),
      response: z.object({ paths: z.array(z.string()), next: z.string().optional(), revision: Revision }),
      errors: [400, 401, 404, 503],
      auth: true,
      async handle({ query, credential, atLeast }) {
        const r = await bus.request(whatCanContract, { credential: credential!, atLeast, principal: query.principal, op: query.op, under: query.under ?? 'am://', page: listPage(query) });
        return { body: { paths: r.paths, ...nextOf(r.more), revision: r.revision }, revision: r.revision };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/analysis/default-open',
      summary: 'Subtrees where ADMIN, WRITE or APPLYROLE is open to every principal because no ACE applies (what the caller can see), paged',
      tag: 'decisions',
      query: z.strictObject({ under: NodeQuery.optional(), cursor: RegionCursor.optional(), limit: Limit(1000).optional() }),
      response: z.object({ regions: z.array(OpenRegionView), next: z.string().optional(), revision: Revision }),
      errors: [400, 401, 404, 503],
      auth: true,
      async handle({ query, credential, atLeast }) {
        const r = await bus.request(defaultOpenContract, { credential: credential!, atLeast, under: query.under ?? 'am://', after: query.cursor, ...(query.limit ? { limit: query.limit } : {}) });
        const last = r.regions.at(-1);
        const next = r.more && last ? encodeCursor({ path: last.path, operation: last.operation }) : undefined;
        return { body: { regions: r.regions, ...(next ? { next } : {}), revision: r.revision }, revision: r.revision };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/history',
      summary: 'Events on a path (and its subtree), in commit order, paged (limit, then cursor = the previous page\'s next)',
      tag: 'history',
      query: z.strictObject({ path: NodeQuery, since: z.string().regex(/^\d{1,15}$/).optional(), subtree: Bool.optional(), limit: Limit(10_000).optional(), cursor: HistoryCursor.optional() }),
      response: z.object({ events: z.array(MetaEventView), next: z.string().optional(), revision: Revision }),
      errors: [400, 401, 404, 503],
      auth: true,
      async handle({ query, credential, atLeast }) {
        const r = await bus.request(historyContract, {
          credential: credential!,
          atLeast,
          path: query.path,
          since: query.since === undefined ? undefined : Number(query.since),
          subtree: query.subtree ?? false,
          ...(query.limit ? { limit: query.limit } : {}),
          page: query.cursor,
        });
        return { body: { events: r.events, ...nextOf(r.more), revision: r.revision }, revision: r.revision };
      },
    }),
    route({
      method: 'POST',
      url: '/v1/universe',
      summary: 'Boot a universe into the empty store (Authorization: Bearer <bootstrap token>), replace the tree (force), or import into it (both need Admin on am://; an import\'s changes also the normal permissions)',
      tag: 'universe',
      // Universe files are the one large upload; they reach policy in parts (libs/bus message-parts.ts).
      bodyLimit: UNIVERSE_BODY_LIMIT,
      query: z.strictObject({ name: z.string().max(64).optional(), force: Bool.optional() }),
      response: z.object({
        mode: z.enum(['boot', 'import']),
        nodes: z.number().int(),
        revision: Revision,
        warnings: z.array(z.string()),
        defaultOpen: z.object({ count: z.number().int(), first: z.array(OpenRegionView) }).optional(),
      }),
      errors: [400, 401, 403, 409, 413, 503],
      auth: false,
      async handle({ query, credential, req }) {
        const text = req.body === undefined || req.body === null ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
        if ((query.name === undefined) === (text === undefined)) throw Object.assign(new InvalidArgumentError('send a universe file as the body, or ?name= of a bundled one'), { field: 'body' });
        const operatorKey = typeof req.headers['am-operator-key'] === 'string' ? req.headers['am-operator-key'] : undefined;
        // The bootstrap token (if configured) is not a principal's credential: it only opens boot.
        const isBootToken = bootAllowed(bootstrapToken, credential);
        const r = await bus.request(
          loadUniverseContract,
          {
            credential: isBootToken ? undefined : credential,
            universe: query.name !== undefined ? { name: query.name } : { text: text! },
            operatorKey,
            force: query.force ?? false,
            bootAllowed: isBootToken,
          },
          120_000,
        );
        return { body: r, revision: r.revision, status: r.mode === 'boot' ? 201 : 200 };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/universe',
      summary: 'Export what the caller can see (universe format; invisible roles redacted)',
      tag: 'universe',
      query: z.strictObject({ path: NodeQuery.optional(), asOf: AsOfQuery.optional() }),
      response: z.object({ path: z.string(), children: z.array(z.any()).optional() }).passthrough(),
      errors: [400, 401, 404, 503],
      auth: true,
      async handle({ query, credential, atLeast }) {
        const { head, body } = await bus.stream(exportUniverseContract, { credential: credential!, atLeast, path: query.path ?? 'am://', asOf: query.asOf });
        // Sent as it arrives: one chunk taken at a time, so the socket's pace is the producer's.
        return { body: Readable.from(body, { objectMode: false, highWaterMark: 1 }), revision: head.revision, contentType: 'application/json' };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/whoami',
      summary: 'The principal the credential stands for',
      tag: 'identity',
      response: z.object({ principal: z.string(), via: z.enum(['credential', 'certificate', 'demo-identity']), revision: Revision }),
      errors: [401, 503],
      auth: true,
      async handle({ credential, atLeast }) {
        return answer(await bus.request(resolveCallerContract, { credential: credential!, atLeast, accept: 'login' }));
      },
    }),
  ];
}

