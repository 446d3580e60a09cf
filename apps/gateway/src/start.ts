import { BusClient, natsTransport } from '@am/bus';
import { createLogger, createMetrics, loadConfig, PinoNestLogger, startMetricsServer, type ConfigOf } from '@am/runtime';
import { createEtcd } from '@am/store';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, type ClientNats } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NatsConnection } from 'nats';
import { gatewaySettings } from './config';

export { gatewaySettings };
import { HealthController } from './health/health.controller';
import { probeReadiness } from './health/readiness';
import { instrumentHttp } from './http-metrics';
import { READINESS } from './tokens';

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
  const bus = new BusClient(nats);
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

  const adapter = new FastifyAdapter({ bodyLimit: BODY_LIMIT, logger: false });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule, adapter, { logger: new PinoNestLogger(log) });
  instrumentHttp(app.getHttpAdapter().getInstance(), metrics);
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
