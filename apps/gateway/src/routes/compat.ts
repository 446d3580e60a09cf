/**
 * The reference REST surface (compat-rest §2–§4) with its Decision fixes: query-string parameters,
 * protojson-style bodies with every field, a Status object `{error, message, global}` in each
 * response (application errors in an HTTP 200), the gateway error body for malformed requests.
 */
import {
  annotateContract,
  createNodeContract,
  datasetCredentialContract,
  deleteAnnotationContract,
  deleteNodeContract,
  detailsContract,
  loadUniverseContract,
  signingKeysContract,
  validateCredentialContract,
  vouchContract,
  type BusClient,
} from '@am/bus';
import { isAmError, UnauthenticatedError } from '@am/model';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EdgeCredentialCheck } from '../http/edge-credentials';
import { bearer } from '../http/route';
import { annotationParam, BadParameterError, boolParam, int64Param, normalizePath, param, params, type Query } from './compat-codec';
import { bootAllowed } from '../http/bootstrap-token';

export interface CompatDeps {
  bus: BusClient;
  /** Refuses a caller's JWT that cannot be good before any service is asked. */
  edge?: EdgeCredentialCheck;
  /** compat /bootstrap needs `Authorization: <token>`; without a token configured it is refused. */
  bootstrapToken?: string;
}

/** `{"code": n, "message": ..., "details": []}`: the reference gateway's own error body. */
export const gatewayError = (code: number, message: string) => ({ code, message, details: [] as unknown[] });

const status = (error: 0 | 1, message = '', revision = 0) => ({ error, message, global: String(revision) });

type Handler = (q: Query, req: FastifyRequest) => Promise<Record<string, unknown>>;

/** Header (Decision: wins) or `caller_id`. */
function callerFrom(q: Query, req: FastifyRequest, edge: EdgeCredentialCheck | undefined): string {
  const c = bearer(req) ?? param(q, 'caller_id');
  if (!c) throw new UnauthenticatedError('invalid credential');
  edge?.check(c);
  return c;
}

/** Runs a compat handler: application errors go in the body of a 200, malformed parameters get 400. */
function compat(empty: Record<string, unknown>, fn: Handler) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const q = (req.query ?? {}) as Query;
    try {
      const body = await fn(q, req);
      return reply.send(body);
    } catch (err) {
      if (err instanceof BadParameterError) return reply.status(400).send(gatewayError(3, err.message));
      const message = isAmError(err) && err.code !== 'internal' ? err.message : 'internal error';
      if (!isAmError(err) || err.code === 'internal') req.log.error({ err }, 'compat route failed');
      return reply.send({ ...empty, error: status(1, message) });
    }
  };
}

export function registerCompatRoutes(app: FastifyInstance, { bus, bootstrapToken, edge }: CompatDeps): void {
  const callerOf = (q: Query, req: FastifyRequest) => callerFrom(q, req, edge);
  app.post(
    '/bootstrap',
    compat({}, async (q, req) => {
      const token = typeof req.headers.authorization === 'string' ? req.headers.authorization.replace(/^Bearer\s+/i, '').trim() : undefined;
      const allowed = bootAllowed(bootstrapToken, token);
      const key = param(q, 'key');
      const r = await bus.request(loadUniverseContract, { universe: { name: param(q, 'boot') ?? '' }, operatorKey: key || undefined, bootAllowed: allowed }, 120_000);
      return { error: status(0, '', r.revision) };
    }),
  );

  app.get(
    '/credential',
    compat({ credential: '' }, async (q, req) => {
      const r = await bus.request(vouchContract, { credential: callerOf(q, req), principal: param(q, 'path') ?? '' });
      return { credential: r.credential, error: status(0, '', r.revision) };
    }),
  );

  const create = compat({ version: '0' }, async (q, req) => {
    const path = normalizePath((req.params as { '*': string })['*']);
    const r = await bus.request(createNodeContract, { credential: callerOf(q, req), path, directory: boolParam(q, 'as_directory') });
    return { version: '1', error: status(0, '', r.revision) };
  });
  const remove = compat({}, async (q, req) => {
    const path = normalizePath((req.params as { '*': string })['*']);
    int64Param(q, 'version');
    const r = await bus.request(deleteNodeContract, { credential: callerOf(q, req), path, recursive: boolParam(q, 'recursive') });
    return { error: status(0, '', r.revision) };
  });
  const details = (pathOf: (q: Query, req: FastifyRequest) => string) =>
    compat({ details: null, children: [] }, async (q, req) => {
      const r = await bus.request(detailsContract, { credential: callerOf(q, req), path: pathOf(q, req), includeChildren: boolParam(q, 'include_children') });
      return { details: r.details, children: r.children, error: status(0, '', r.revision) };
    });
  app.post('/am/*', create);
  app.delete('/am/*', remove);
  app.get('/am/*', details((_q, req) => normalizePath((req.params as { '*': string })['*'])));
  app.get('/am', details(() => 'am://'));
  app.get('/details', details((q) => normalizePath(param(q, 'path') ?? '')));

  const annotate = (pathOf: (q: Query, req: FastifyRequest) => { path: string; tag?: string }) =>
    compat({}, async (q, req) => {
      const { path, tag } = pathOf(q, req);
      const annotation = annotationParam(param(q, 'annotation') ?? '');
      const r = await bus.request(annotateContract, { credential: callerOf(q, req), path, annotation: (tag ? { tag, ...annotation } : annotation) as never });
      return { error: status(0, '', r.revision) };
    });
  app.post('/annotate', annotate((q) => ({ path: normalizePath(param(q, 'path') ?? '') })));
  // The swagger shape the reference `am chperm` calls: POST /annotate/am/<path>[/ace|/applied-role].
  app.post(
    '/annotate/*',
    annotate((_q, req) => {
      const raw = (req.params as { '*': string })['*'];
      const m = /^(.*)\/(ace|applied-role)$/.exec(raw);
      return m ? { path: normalizePath(m[1]), tag: m[2] } : { path: normalizePath(raw) };
    }),
  );

  const deleteAnnotation = (target: (q: Query, req: FastifyRequest, credential: string) => Promise<{ path: string; tag: string; unique: string }>) =>
    compat({}, async (q, req) => {
      const credential = callerOf(q, req);
      const t = await target(q, req, credential);
      const r = await bus.request(deleteAnnotationContract, { credential, ...t });
      return { error: status(0, '', r.revision) };
    });
  app.delete(
    '/annotate',
    deleteAnnotation(async (q, _req, credential) => {
      const path = normalizePath(param(q, 'path') ?? '');
      const tag = param(q, 'tag');
      const unique = int64Param(q, 'unique');
      if (tag && unique) return { path, tag, unique };
      // The reference `am chrole --remove` sends the annotation instead: find the applied role it names.
      const annotation = annotationParam(param(q, 'annotation') ?? '{}');
      if (annotation.tag !== 'applied-role' || typeof annotation.role !== 'string') throw new BadParameterError('give tag and unique (or an applied-role annotation)');
      const d = await bus.request(detailsContract, { credential, path });
      const applied = d.details.roles.find((r) => r.role === annotation.role);
      if (!applied) throw new BadParameterError(`no applied-role ${annotation.role} on ${path}`);
      return { path, tag: 'applied-role', unique: applied.unique };
    }),
  );
  app.delete(
    '/annotate/*',
    deleteAnnotation(async (_q, req) => {
      const m = /^(.*)\/([^/]+)\/(-?\d{1,19})$/.exec((req.params as { '*': string })['*']);
      if (!m) throw new BadParameterError('expected /annotate/{path}/{tag}/{unique}');
      return { path: normalizePath(m[1]), tag: m[2], unique: m[3] };
    }),
  );

  app.get(
    '/datasetcredential',
    compat({ url: '', info: '', credential: '' }, async (q, req) => {
      const r = await bus.request(datasetCredentialContract, { credential: callerOf(q, req), dataset: param(q, 'path') ?? '', operations: params(q, 'operations') });
      return { url: r.url, info: r.info, credential: r.credential, error: status(0, '', r.revision) };
    }),
  );
  app.get(
    '/validate',
    compat({ valid: false, info: '' }, async (q) => {
      const r = await bus.request(validateCredentialContract, { credential: param(q, 'credential') ?? '', accept: 'any' });
      return { valid: r.valid, info: r.info, error: status(r.valid ? 0 : 1, r.message) };
    }),
  );
  app.get(
    '/signingkeys',
    compat({ keys: {} }, async () => {
      const r = await bus.request(signingKeysContract, {});
      return { keys: r.keys, error: status(0) };
    }),
  );
  app.post('/accessmanager.AccessManager/CreateDirectory', async (_req, reply) => reply.status(501).send(gatewayError(12, 'method CreateDirectory not implemented')));
  app.get('/health', async (_req, reply) => reply.status(200).send(''));
}

/** Paths the compat surface serves, so a wrong method on them is 501 "Method Not Allowed" as in the reference. */
export const COMPAT_PATHS = [/^\/bootstrap$/, /^\/credential$/, /^\/am(\/|$)/, /^\/annotate(\/|$)/, /^\/details$/, /^\/datasetcredential$/, /^\/validate$/, /^\/signingkeys$/, /^\/health$/];
