import { BusClient, natsConnectionOptions } from '@am/bus';
import { connectEtcd, createLogger, createMetrics, loadConfig, PinoNestLogger, reportedIgnoredRecords, startMetricsServer, type ConfigOf } from '@am/runtime';
import { SigningKeyDirectory } from '@am/auth';
import { PkiView } from '@am/pki-state';
import { KeyLayout } from '@am/store';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { connect, type NatsConnection } from 'nats';
import { gatewaySettings } from './config';

export { gatewaySettings };
import { HealthController } from './health/health.controller';
import { probeReadiness } from './health/readiness';
import { instrumentHttp } from './http-metrics';
import { READINESS } from './tokens';
import { registerCors } from './http/cors';
import { FallbackFilter } from './http/fallback-filter';
import { openApiDocument, registerDocs } from './http/openapi';
import { EdgeCredentialCheck } from './http/edge-credentials';
import { registerRoute, sendProblem } from './http/route';
import { problemFor } from './http/errors';
import { limitJsonDepth } from './http/json-body';
import { gatewayError, registerCompatRoutes } from './routes/compat';
import { v1IdentityRoutes, registerJwks } from './routes/v1-identity';
import { v1MetadataRoutes } from './routes/v1-metadata';
import { v1PkiRoutes } from './routes/v1-pki';
import { registerClientCertificateAuth } from './tls/client-auth';
import { GatewayTls } from './tls/listener';

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
  const etcd = connectEtcd(config, log);
  // NATS is joined in the background: the gateway serves /healthz (and a 503 /readyz) while NATS is
  // down; once connected, nats.js reconnects by itself.
  let natsConnection: NatsConnection | undefined;
  let stopping = false;
  const natsJoined = startWithRetry(
    async () => {
      const nc = await connect(natsConnectionOptions(config, 'gateway'));
      if (stopping) await nc.close();
      else natsConnection = nc;
    },
    (err) => log.warn({ err: err.message }, 'NATS not reachable yet; retrying'),
  );
  const closeNats = async () => {
    stopping = true;
    natsJoined.cancel();
    await natsConnection?.close().catch(() => undefined);
  };
  const bus = new BusClient(() => natsConnection, config.AM_REQUEST_TIMEOUT);
  // When NATS is up at start, be connected before serving (no spurious 503s on the first requests).
  await Promise.race([natsJoined.done, new Promise((resolve) => setTimeout(resolve, config.AM_REQUEST_TIMEOUT).unref())]);
  // Client certificates are verified against the live PKI trust state (revocations apply within ms).
  const ignored = reportedIgnoredRecords(log, metrics);
  const pkiView = new PkiView(etcd, new KeyLayout(config.AM_ETCD_PREFIX), {
    recordKey: config.AM_PKI_RECORD_KEY,
    ignored,
    onError: (err) => log.warn({ err: err.message }, 'pki view'),
  });
  const pkiViewStarted = startWithRetry(() => pkiView.start(), (err) => log.warn({ err: err.message }, 'pki view not loaded yet; retrying'));
  // Callers' JWTs are checked here against identity's published keys (and again by the service).
  const signingKeys = new SigningKeyDirectory(etcd, new KeyLayout(config.AM_ETCD_PREFIX), {
    recordKey: config.AM_IDENTITY_RECORD_KEY,
    ignored,
    onError: (err) => log.warn({ err: err.message }, 'signing keys'),
  });
  const signingKeysLoaded = startWithRetry(() => signingKeys.start(), (err) => log.warn({ err: err.message }, 'signing keys not loaded yet; retrying'));
  const edge = new EdgeCredentialCheck(signingKeys);
  const tlsWanted = config.AM_GATEWAY_TLS || config.AM_GATEWAY_TLS_PROXIES.length > 0;
  const tls = tlsWanted
    ? new GatewayTls(
        {
          port: config.AM_GATEWAY_TLS_PORT,
          host: config.AM_GATEWAY_TLS_HOST,
          sans: config.AM_GATEWAY_TLS_SANS,
          validityMs: config.AM_GATEWAY_TLS_CERT_VALIDITY,
          minVersion: config.AM_GATEWAY_TLS_MIN_VERSION,
          ciphers: config.AM_GATEWAY_TLS_CIPHERS,
          listen: config.AM_GATEWAY_TLS,
        },
        { bus, view: pkiView, log },
      )
    : undefined;

  @Module({
    controllers: [HealthController],
    providers: [
      {
        provide: READINESS,
        useValue: () =>
          probeReadiness({
            etcd,
            nats: () => natsConnection,
            bus,
            timeoutMs: config.AM_READY_TIMEOUT,
            ignored,
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
  limitJsonDepth(fastify);
  // REST routes are plain Fastify routes declared as data (one schema for validation and OpenAPI);
  // Nest runs the lifecycle, health and the fallback filter.
  const v1 = [...v1MetadataRoutes({ bus, bootstrapToken: config.AM_BOOTSTRAP_TOKEN }), ...v1IdentityRoutes(bus), ...v1PkiRoutes({ bus })];
  if (tls) registerClientCertificateAuth(fastify, { view: pkiView, attestor: tls.attestor, proxies: config.AM_GATEWAY_TLS_PROXIES, routes: v1 });
  for (const spec of v1) registerRoute(fastify, spec, edge, log);
  registerCompatRoutes(fastify, { bus, bootstrapToken: config.AM_BOOTSTRAP_TOKEN, edge });
  registerJwks(fastify, bus);
  registerDocs(fastify, openApiDocument(v1, '1'));
  app.useGlobalFilters(new FallbackFilter(log, BODY_LIMIT));
  app.enableShutdownHooks([]);
  const stopViews = async () => {
    pkiViewStarted.cancel();
    signingKeysLoaded.cancel();
    await tls?.close();
    await pkiView.stop();
    await signingKeys.stop();
  };
  const metricsServer = await startMetricsServer(metrics, config.AM_METRICS_PORT, config.AM_METRICS_HOST).catch(async (err) => {
    await stopViews();
    await closeNats();
    etcd.close();
    throw err;
  });
  let tlsPort: number | undefined;
  try {
    await app.listen(config.AM_GATEWAY_PORT, config.AM_GATEWAY_HOST);
    tlsPort = await tls?.start(fastify);
  } catch (err) {
    await app.close().catch(() => undefined);
    await stopViews();
    await metricsServer.close();
    await closeNats();
    etcd.close();
    throw err;
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.AM_GATEWAY_PORT;
  log.info({ port, tlsPort, metricsPort: metricsServer.port }, 'gateway ready');
  return {
    port,
    /** The HTTPS (mTLS) port when enabled; `tlsReady` settles once it has its certificate from the pki. */
    tlsPort,
    tlsReady: Promise.all([tls?.ready, pkiViewStarted.done]).then(() => undefined),
    metricsPort: metricsServer.port,
    async close() {
      await stopViews();
      await app.close();
      await metricsServer.close();
      await closeNats();
      etcd.close();
    },
  };
}

/** Runs `fn` until it succeeds (backing off to 5 s), in the background; `cancel` stops retrying. */
function startWithRetry(fn: () => Promise<void>, onError: (err: Error) => void): { done: Promise<void>; cancel(): void } {
  let cancelled = false;
  const done = (async () => {
    for (let delay = 200; !cancelled; delay = Math.min(delay * 2, 5000)) {
      try {
        await fn();
        return;
      } catch (err) {
        onError(err as Error);
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
  })();
  return { done, cancel: () => void (cancelled = true) };
}
