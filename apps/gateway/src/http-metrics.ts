import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

/**
 * Request count and latency per route template (never the raw URL: paths and query strings may
 * carry names or credentials, and raw URLs would explode the label cardinality).
 */
export function instrumentHttp(fastify: FastifyInstance, registry: Registry): void {
  const duration = new Histogram({
    name: 'am_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  fastify.addHook('onRequest', async (req) => {
    (req as unknown as { amStart: bigint }).amStart = process.hrtime.bigint();
  });
  fastify.addHook('onResponse', async (req, reply) => {
    const start = (req as unknown as { amStart?: bigint }).amStart;
    if (start === undefined) return;
    const route = req.routeOptions.url ?? 'unmatched';
    duration.observe({ method: req.method, route, status: String(reply.statusCode) }, Number(process.hrtime.bigint() - start) / 1e9);
  });
}
