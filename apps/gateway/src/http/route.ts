import { InvalidArgumentError, UnauthenticatedError } from '@am/model';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { EdgeCredentialCheck } from './edge-credentials';
import { Problem, toProblem } from './errors';

/** What a v1 handler sees: validated input, the caller's credential and consistency token. */
export interface RouteContext<Q, B> {
  query: Q;
  body: B;
  /** The tree path from the URL wildcard (without the scheme), if the route has one. */
  wildcard: string;
  credential: string | undefined;
  /** AM-Consistency: answer from state at least this new. */
  atLeast: number | undefined;
  req: FastifyRequest;
}

export interface RouteResult {
  status?: number;
  /** JSON, text, or a Readable streamed to the client as it produces. */
  body: unknown;
  /** Sent as AM-Revision. */
  revision?: number;
  contentType?: string;
}

/**
 * One REST route, declared once: its input schemas validate requests and, with its output schema
 * and error statuses, generate the OpenAPI document. Handlers throw AmErrors; the route turns them
 * into problem+json with the matching status.
 */
export interface RouteSpec<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: HTTPMethods;
  url: string;
  summary: string;
  tag: string;
  query?: Q;
  body?: B;
  /** The success body, for the document. */
  response: z.ZodType;
  status?: number;
  /** Error statuses the route can answer with (problem+json). */
  errors: number[];
  /** Whether the route needs `Authorization: Bearer <credential>`. */
  auth: boolean;
  /**
   * Where the document lists a wildcard route that serves more than the wildcard says (e.g. the
   * annotations below a node): each URL with `{name}` path parameters. Default: `url`, `*` as `{path}`.
   */
  documentedAt?: readonly { url: string; summary?: string }[];
  /** Bytes; a route that takes more than the gateway's default request body says so. */
  bodyLimit?: number;
  handle(ctx: RouteContext<z.output<Q>, z.output<B>>): Promise<RouteResult>;
}

/** A service's reply as the route's answer, its revision in AM-Revision. */
export const answer = (reply: { revision: number }): RouteResult => ({ body: reply, revision: reply.revision });

export const route = <Q extends z.ZodType, B extends z.ZodType>(spec: RouteSpec<Q, B>): RouteSpec => spec as unknown as RouteSpec;

const PROBLEM_TYPE = 'application/problem+json';

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.status === 503) reply.header('retry-after', '1');
  return reply.status(problem.status).type(PROBLEM_TYPE).send(problem);
}

function parse<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): z.output<T> {
  if (!schema) return undefined as z.output<T>;
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = [where, ...issue.path.map(String)].join('.');
  throw Object.assign(new InvalidArgumentError(`${field}: ${issue.message}`), { field });
}

/** The credential from `Authorization: Bearer ...` (v1 accepts it nowhere else). */
export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m ? m[1].trim() : undefined;
}

function consistency(req: FastifyRequest): number | undefined {
  const raw = req.headers['am-consistency'];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw.trim())) {
    throw Object.assign(new InvalidArgumentError('AM-Consistency must be a revision number'), { field: 'header.AM-Consistency' });
  }
  return Number(raw);
}

/** `edge` refuses a caller's JWT that cannot be good before the service is asked (routes with `auth`). */
export function registerRoute(app: FastifyInstance, spec: RouteSpec, edge?: EdgeCredentialCheck, log?: Pick<Logger, 'error'>): void {
  app.route({
    method: spec.method,
    url: spec.url,
    ...(spec.bodyLimit ? { bodyLimit: spec.bodyLimit } : {}),
    handler: async (req, reply) => {
      try {
        const credential = bearer(req);
        if (spec.auth && !credential) return sendProblem(reply, toProblem(new UnauthenticatedError('missing credential: send Authorization: Bearer <credential>')));
        if (spec.auth) edge?.check(credential!);
        const ctx: RouteContext<unknown, unknown> = {
          query: parse(spec.query, req.query, 'query'),
          body: parse(spec.body, req.body, 'body'),
          wildcard: decodeWildcard((req.params as { '*'?: string })['*']),
          credential,
          atLeast: consistency(req),
          req,
        };
        const result = await spec.handle(ctx as never);
        if (result.revision !== undefined) reply.header('am-revision', String(result.revision));
        if (result.contentType) reply.type(result.contentType);
        // A streamed body that fails midway ends the response cut off (Fastify destroys it), never as if complete.
        if (result.body instanceof Readable) result.body.on('error', (err) => (log ?? req.log).error({ err, route: `${spec.method} ${spec.url}` }, 'streamed answer failed midway'));
        return reply.status(result.status ?? spec.status ?? 200).send(result.body);
      } catch (err) {
        const problem = toProblem(err);
        const field = (err as { field?: string }).field;
        // Fastify's own logger is off: a failure goes to the gateway's log, never only to the caller.
        if (problem.status >= 500 && problem.status !== 503) (log ?? req.log).error({ err, route: `${spec.method} ${spec.url}` }, 'route failed');
        return sendProblem(reply, field ? { ...problem, field } : problem);
      }
    },
  });
}

/** Path segments arrive percent-encoded; a malformed escape is the caller's mistake. */
function decodeWildcard(raw: string | undefined): string {
  if (raw === undefined) return '';
  try {
    return decodeURIComponent(raw);
  } catch {
    throw Object.assign(new InvalidArgumentError('the path in the URL is not validly percent-encoded'), { field: 'path' });
  }
}
