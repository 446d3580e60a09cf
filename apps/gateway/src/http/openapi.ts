import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { Problem } from './errors';
import type { RouteSpec } from './route';

const schema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' });

/** Query parameters of a route, one OpenAPI parameter per member of its (object) query schema. */
function queryParameters(spec: RouteSpec) {
  if (!spec.query) return [];
  const json = schema(spec.query, 'input') as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: json.required?.includes(name) ?? false, schema: s }));
}

const PATH_PARAMETERS: Record<string, string> = {
  path: 'Tree path without the am:// scheme; slashes allowed (e.g. user/hpe/bu1/alice)',
  tag: 'The annotation tag (as `ls -l` shows it: `#tag-unique`)',
  unique: 'The annotation unique (a decimal int64)',
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid input (the `field` member names it)',
  401: 'Missing or invalid credential',
  403: 'Visible but not allowed',
  404: 'Missing, or invisible to the caller',
  409: 'Conflict: version mismatch, already exists, or a precondition failed',
  413: 'Request body too large',
  503: 'A dependency is down; retry after the Retry-After delay',
};

/**
 * The OpenAPI 3.1 document of the v1 API, generated from the same zod schemas that validate the
 * requests, so it cannot drift from what is served.
 */
export function openApiDocument(specs: readonly RouteSpec[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of specs) for (const at of spec.documentedAt ?? [{ url: spec.url.replace('/*', '/{path}') }]) {
    const url = at.url;
    const parameters: unknown[] = [...queryParameters(spec)];
    const named = [...url.matchAll(/\{([a-z]+)\}/g)].map((m) => m[1]).reverse();
    for (const name of named) parameters.unshift({ name, in: 'path', required: true, description: PATH_PARAMETERS[name] ?? name, schema: { type: 'string' } });
    if (spec.auth || spec.method !== 'GET') parameters.push({ name: 'AM-Consistency', in: 'header', required: false, description: 'Answer from state at least this revision new', schema: { type: 'integer' } });
    const responses: Record<string, unknown> = {
      [String(spec.status ?? 200)]: { description: 'Success (the AM-Revision header names the revision it reflects)', content: { 'application/json': { schema: schema(spec.response, 'output') } } },
    };
    for (const status of spec.errors) responses[String(status)] = { description: STATUS_TEXT[status] ?? 'Error', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    paths[url] ??= {};
    paths[url][spec.method.toLowerCase()] = {
      summary: at.summary ?? spec.summary,
      tags: [spec.tag],
      parameters,
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(spec.body, 'input') } } } } : {}),
      ...(spec.auth ? { security: [{ bearer: [] }] } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Access Manager REST API', version, description: 'Credentials travel only in the Authorization header. Errors are RFC 9457 problem details.' },
    paths,
    components: {
      schemas: { Problem: schema(Problem, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A credential (JWT) or, where allowed, a demonstration principal path' } },
    },
  };
}

/** GET /openapi.json and interactive docs at /docs (Swagger UI served from the local package). */
export function registerDocs(app: FastifyInstance, document: unknown): void {
  const assets = join(require.resolve('swagger-ui-dist/package.json'), '..');
  app.get('/openapi.json', async () => document);
  app.get('/docs', async (_req, reply) =>
    reply.type('text/html').send(`<!doctype html>
<html><head><meta charset="utf-8"><title>Access Manager API</title><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`),
  );
  app.get('/docs/init.js', async (_req, reply) => reply.type('text/javascript').send("SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });\n"));
  for (const [file, type] of [['swagger-ui.css', 'text/css'], ['swagger-ui-bundle.js', 'text/javascript']] as const) {
    app.get(`/docs/${file}`, async (_req, reply) => reply.type(type).header('cache-control', 'public, max-age=86400').send(await readFile(join(assets, file))));
  }
}
