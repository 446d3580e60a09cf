import { Controller, Inject, Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, type MicroserviceOptions } from '@nestjs/microservices';
import { healthContract, natsTransport, type BackendService, type HealthReply } from '@am/bus';
import { createEtcd, etcdReachable, KeyLayout } from '@am/store';
import type { Etcd3 } from 'etcd3';
import type { ConfigOf } from './config';
import { commonSettings } from './config';
import { createLogger, PinoNestLogger } from './logger';
import { createMetrics, startMetricsServer } from './metrics';
import type { Running } from './service-main';
import { CONFIG, ETCD, KEYS, LOGGER, METRICS } from './tokens';

export type CommonConfig = ConfigOf<typeof commonSettings>;

export interface BackendSpec<C extends CommonConfig> {
  service: BackendService;
  config: C;
  controllers?: Type[];
  providers?: Provider[];
  /** Work that runs after the microservice listens (e.g. extra listeners); its result is closed on stop. */
  afterStart?: (ctx: { get<T>(token: unknown): T }) => Promise<Running | void>;
}

export interface RunningBackend extends Running {
  metricsPort: number;
}

/** Answers `am.<service>.health` with the state of the service's own dependencies. */
function healthController(service: BackendService): Type {
  @Controller()
  class HealthController {
    constructor(@Inject(ETCD) private readonly etcd: Etcd3) {}

    @MessagePattern(healthContract(service).subject)
    async health(): Promise<HealthReply> {
      const etcd = (await etcdReachable(this.etcd)) ? 'up' : 'down';
      return { service, status: etcd === 'up' ? 'ok' : 'degraded', checks: { etcd } };
    }
  }
  return HealthController;
}

/**
 * Starts one of the NATS-facing services (policy, identity, pki): logger, metrics endpoint, etcd
 * client and a Nest microservice on the NATS transport in the service's queue group, with the
 * health handler every service answers.
 */
export async function startBackend<C extends CommonConfig>(spec: BackendSpec<C>): Promise<RunningBackend> {
  const { service, config } = spec;
  const log = createLogger(service, config.AM_LOG_LEVEL);
  const metrics = createMetrics(service);
  const etcd = createEtcd(config.AM_ETCD_URLS);

  @Module({})
  class RootModule {
    static build(): DynamicModule {
      return {
        module: RootModule,
        controllers: [healthController(service), ...(spec.controllers ?? [])],
        providers: [
          { provide: CONFIG, useValue: config },
          { provide: ETCD, useValue: etcd },
          { provide: LOGGER, useValue: log },
          { provide: METRICS, useValue: metrics },
          { provide: KEYS, useValue: new KeyLayout(config.AM_ETCD_PREFIX) },
          ...(spec.providers ?? []),
        ],
      };
    }
  }

  const app = await NestFactory.createMicroservice<MicroserviceOptions>(RootModule.build(), {
    ...natsTransport(config, service, service),
    logger: new PinoNestLogger(log),
  });
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  let extra: Running | void = undefined;
  try {
    await app.listen();
    metricsServer = await startMetricsServer(metrics, config.AM_METRICS_PORT, config.AM_METRICS_HOST);
    extra = await spec.afterStart?.({ get: <T>(token: unknown) => app.get<T>(token as never) });
  } catch (err) {
    await metricsServer?.close();
    await app.close().catch(() => undefined);
    etcd.close();
    throw err;
  }
  log.info({ metricsPort: metricsServer.port }, `${service} ready`);
  return {
    metricsPort: metricsServer.port,
    async close() {
      await extra?.close();
      await app.close();
      await metricsServer?.close();
      etcd.close();
      log.info(`${service} stopped`);
    },
  };
}
