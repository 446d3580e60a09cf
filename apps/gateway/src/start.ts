import { BusClient, natsTransport } from '@am/bus';
import { createLogger, createMetrics, loadConfig, PinoNestLogger, startMetricsServer, type ConfigOf } from '@am/runtime';
import { createEtcd } from '@am/store';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, type ClientNats } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { NatsConnection } from 'nats';
import { gatewaySettings } from './config';

export { gatewaySettings };
import { HealthController } from './health/health.controller';
import { probeReadiness } from './health/readiness';
import { instrumentHttp } from './http-metrics';
import { READINESS } from './tokens';
import { registerCors } from './http/cors';
import { FallbackFilter } from './http/fallback-filter';
import { openApiDocument, registerDocs } from './http/openapi';
import { registerRoute, sendProblem } from './http/route';
import { problemFor } from './http/errors';
import { gatewayError, registerCompatRoutes } from './routes/compat';
import { v1IdentityRoutes, registerJwks } from './routes/v1-identity';
import { v1MetadataRoutes } from './routes/v1-metadata';

export type GatewayConfig = ConfigOf<typeof gatewaySettings>;

/** Bytes; larger request bodies get 413 before any parsing. */
const BODY_LIMIT = 1024 * 1024;

/**
 * The gateway: the only HTTP surface. It authenticates callers and turns REST calls into NATS
 * requests to the service that owns the answer; it decides nothing itself.
 */
export async function startGateway(config: GatewayConfig = loadConfig(gatewaySettings)) {
  const log = createLogger('gateway', config.AM_LOG_LEVEL);
  const metrics = createMetrics('gateway');
  const etcd = createEtcd(config.AM_ETCD_URLS);
  const nats = ClientProxyFactory.create(natsTransport(config, 'gateway')) as ClientNats;
  const bus = new BusClient(nats, config.AM_REQUEST_TIMEOUT);
  // Connect in the background: the gateway serves /healthz (and a 503 /readyz) while NATS is down.
  nats.connect().catch((err: Error) => log.warn({ err: err.message }, 'NATS not reachable yet'));

  @Module({
    controllers: [HealthController],
    providers: [
      {
        provide: READINESS,
        useValue: () =>
          probeReadiness({
            etcd,
            nats: () => safeUnwrap(nats),
            bus,
            timeoutMs: config.AM_READY_TIMEOUT,
          }),
      },
    ],
  })
  class GatewayModule {}

  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    logger: false,
    // Errors Fastify raises before routing (e.g. a malformed percent-escape in the URL).
    frameworkErrors: (err: { code?: string }, req: FastifyRequest, reply: FastifyReply) => {
      const detail = 'the URL is not validly percent-encoded';
      if (req.url.startsWith('/v1/')) return void sendProblem(reply, problemFor('invalid-argument', detail, 'path'));
      void reply.status(400).send(gatewayError(3, err.code === 'FST_ERR_BAD_URL' ? detail : 'bad request'));
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule, adapter, { logger: new PinoNestLogger(log) });
  const fastify = app.getHttpAdapter().getInstance();
  instrumentHttp(fastify, metrics);
  registerCors(fastify, config.AM_CORS_ORIGINS);
  // REST routes are plain Fastify routes declared as data (one schema for validation and OpenAPI);
  // Nest runs the lifecycle, health and the fallback filter.
  const v1 = [...v1MetadataRoutes({ bus, bootstrapToken: config.AM_BOOTSTRAP_TOKEN }), ...v1IdentityRoutes(bus)];
  for (const spec of v1) registerRoute(fastify, spec);
  registerCompatRoutes(fastify, { bus, bootstrapToken: config.AM_BOOTSTRAP_TOKEN });
  registerJwks(fastify, bus);
  registerDocs(fastify, openApiDocument(v1, '1'));
  app.useGlobalFilters(new FallbackFilter(log));
  app.enableShutdownHooks([]);
  const metricsServer = await startMetricsServer(metrics, config.AM_METRICS_PORT, config.AM_METRICS_HOST).catch(async (err) => {
    await nats.close();
    etcd.close();
    throw err;
  });
  try {
    await app.listen(config.AM_GATEWAY_PORT, config.AM_GATEWAY_HOST);
  } catch (err) {
    await metricsServer.close();
    await nats.close();
    etcd.close();
    throw err;
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.AM_GATEWAY_PORT;
  log.info({ port, metricsPort: metricsServer.port }, 'gateway ready');
  return {
    port,
    metricsPort: metricsServer.port,
    async close() {
      await app.close();
      await metricsServer.close();
      await nats.close();
      etcd.close();
    },
  };
}

function safeUnwrap(client: ClientNats): NatsConnection | undefined {
  try {
    return client.unwrap<NatsConnection>();
  } catch {
    return undefined;
  }
}
