import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { handler, healthContract, natsConnectionOptions, type BackendService, type BusHandler } from '@am/bus';
import { etcdReachable, KeyLayout, type IgnoredRecords } from '@am/store';
import type { Etcd3 } from 'etcd3';
import { connect, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { busController } from './bus-controller';
import type { OnDropped } from './bus-server';
import { NatsBusStrategy } from './bus-strategy';
import type { ConfigOf } from './config';
import { commonSettings } from './config';
import { createLogger, PinoNestLogger } from './logger';
import { createMetrics, startMetricsServer } from './metrics';
import { connectEtcd } from './etcd-connection';
import { reportedIgnoredRecords } from './ignored-records';
import type { Running } from './service-main';

export type CommonConfig = ConfigOf<typeof commonSettings>;

/** What a service's setup gets: the shared clients, created once per process. */
export interface BackendContext<C> {
  config: C;
  etcd: Etcd3;
  log: Logger;
  metrics: Registry;
  keys: KeyLayout;
  /** etcd records this process does not trust; in its health reply, log and metrics. */
  ignored: IgnoredRecords;
}

/** What a service's setup returns: its bus surface and what to close on stop. */
export interface BackendParts {
  handlers?: readonly BusHandler[];
  /** Health checks beyond etcd (e.g. a projection that is reloading). */
  checks?: () => Record<string, 'up' | 'down'>;
  close?: () => Promise<void>;
}

export interface BackendSpec<C extends CommonConfig> {
  service: BackendService;
  config: C;
  /** Runs before the service subscribes to NATS: load projections, keys, and build handlers. */
  setup?: (ctx: BackendContext<C>) => Promise<BackendParts>;
  /** Runs once the service is on NATS (e.g. extra listeners); its result is closed on stop. */
  afterStart?: (ctx: BackendContext<C>) => Promise<Running | void>;
}

export interface RunningBackend extends Running {
  metricsPort: number;
}

/** `am.<service>.health`: the state of the service's own dependencies. */
function healthHandler(service: BackendService, etcd: Etcd3, ignored: IgnoredRecords, checks?: () => Record<string, 'up' | 'down'>): BusHandler {
  return handler(healthContract(service), async () => {
    const all = { etcd: (await etcdReachable(etcd)) ? ('up' as const) : ('down' as const), ...checks?.() };
    const status = Object.values(all).every((s) => s === 'up') ? ('ok' as const) : ('degraded' as const);
    return { service, status, checks: all, ignoredRecords: ignored.summary() };
  });
}

export interface BusMicroservice {
  close(): Promise<void>;
}

/**
 * A Nest microservice answering `handlers` on NATS in the queue group `queue`: the handlers become
 * @MessagePattern methods of one controller, served by NatsBusStrategy.
 */
export async function startBusMicroservice(
  name: string,
  queue: string,
  handlers: readonly BusHandler[],
  connectNats: () => Promise<NatsConnection>,
  log: Logger,
  onDropped?: OnDropped,
): Promise<BusMicroservice> {
  const controller = busController(`${name}BusController`, () => handlers, log);

  @Module({})
  class RootModule {
    static build(): DynamicModule {
      return { module: RootModule, controllers: [controller] };
    }
  }

  const app = await NestFactory.createMicroservice(RootModule.build(), { strategy: new NatsBusStrategy(connectNats, queue, log, onDropped), logger: new PinoNestLogger(log) });
  try {
    await app.listen();
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  return { close: () => app.close() };
}

/**
 * Starts one of the NATS-facing services (policy, identity, pki): logger, metrics endpoint, etcd
 * client, the service's own setup, and a Nest microservice answering, in the service's queue group,
 * the service's handlers and the health handler every service answers.
 */
export async function startBackend<C extends CommonConfig>(spec: BackendSpec<C>): Promise<RunningBackend> {
  const { service, config } = spec;
  const log = createLogger(service, config.AM_LOG_LEVEL);
  const metrics = createMetrics(service);
  const etcd = connectEtcd(config, log);
  const ctx: BackendContext<C> = { config, etcd, log, metrics, keys: new KeyLayout(config.AM_ETCD_PREFIX), ignored: reportedIgnoredRecords(log, metrics) };
  let parts: BackendParts = {};
  let server: BusMicroservice | undefined;
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  let extra: Running | void = undefined;
  try {
    parts = (await spec.setup?.(ctx)) ?? {};
    const handlers = [healthHandler(service, etcd, ctx.ignored, parts.checks), ...(parts.handlers ?? [])];
    const dropped = new Counter({
      name: 'am_bus_requests_dropped_total',
      help: 'Requests dropped unanswered because their reply subject is not an inbox (reply-subject injection)',
      labelNames: ['subject'],
      registers: [metrics],
    });
    server = await startBusMicroservice(service, service, handlers, () => connect(natsConnectionOptions(config, service)), log, (subject) => dropped.inc({ subject }));
    metricsServer = await startMetricsServer(metrics, config.AM_METRICS_PORT, config.AM_METRICS_HOST);
    extra = await spec.afterStart?.(ctx);
  } catch (err) {
    await metricsServer?.close();
    await server?.close().catch(() => undefined);
    await parts.close?.().catch(() => undefined);
    etcd.close();
    throw err;
  }
  log.info({ metricsPort: metricsServer.port }, `${service} ready`);
  return {
    metricsPort: metricsServer.port,
    async close() {
      await extra?.close();
      await server!.close();
      await parts.close?.();
      await metricsServer?.close();
      etcd.close();
      log.info(`${service} stopped`);
    },
  };
}
