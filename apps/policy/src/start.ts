import { CallerResolver, SigningKeyDirectory } from '@am/auth';
import { GATEWAY_TLS_PRINCIPAL, METADATA_EVENTS_SUBJECT } from '@am/bus';
import { PkiView } from '@am/pki-state';
import { connectBus, loadConfig, startBackend, type ConfigOf } from '@am/runtime';
import { HistoryKeeper, MetaHistory, MetaProjection, MetaStore } from '@am/store';
import { policySettings } from './config';
import { commandHandlers } from './handlers/commands';
import { identityHandlers } from './handlers/identity';
import { queryHandlers } from './handlers/queries';
import { universeHandlers } from './handlers/universe';
import { bootIfEmpty } from './metadata/boot';
import { MetadataService, type Committed } from './metadata/metadata-service';

export { policySettings };

export type PolicyConfig = ConfigOf<typeof policySettings>;

/** The domain event other services see after a commit (no annotation contents: subscribers ask). */
function domainEvent({ change, actor, revision }: Committed) {
  return { seq: revision, kind: change.kind, path: change.path, actor, time: new Date().toISOString() };
}

/**
 * The policy service: owner of the am:// tree. It keeps a projection of the metadata in etcd,
 * answers every metadata command and query on NATS, and publishes `am.events.metadata.<kind>`
 * after each commit. Replicas share the queue group and converge through etcd alone.
 */
export async function startPolicy(config: PolicyConfig = loadConfig(policySettings)) {
  let service: MetadataService | undefined;
  let keeper: HistoryKeeper | undefined;
  const backend = await startBackend({
    service: 'policy',
    config,
    setup: async ({ etcd, log, keys, ignored }) => {
      const store = new MetaStore(etcd, config.AM_ETCD_PREFIX);
      const projection = new MetaProjection(etcd, store, {
        consistencyTimeoutMs: config.AM_CONSISTENCY_TIMEOUT,
        onError: (err) => log.warn({ err: err.message }, 'metadata watch interrupted; reloading'),
        fromSnapshots: true,
        onStarted: (how) => log.info(how, 'metadata projection ready'),
      });
      const signingKeys = new SigningKeyDirectory(etcd, keys, { recordKey: config.AM_IDENTITY_RECORD_KEY, ignored, onError: (err) => log.warn({ err: err.message }, 'signing keys') });
      // Certificate credentials (x509:…, forwarded by the gateway's mTLS listener) are verified against the live PKI trust state.
      const pki = new PkiView(etcd, keys, { recordKey: config.AM_PKI_RECORD_KEY, ignored, onError: (err) => log.warn({ err: err.message }, 'pki view') });
      const events = await connectBus(config, 'policy-events');
      try {
        await projection.start();
        await signingKeys.start();
        await pki.start();
        await bootIfEmpty(projection, config.AM_BOOT_UNIVERSE, log);
      } catch (err) {
        await Promise.allSettled([projection.stop(), signingKeys.stop(), pki.stop(), events.close()]);
        throw err;
      }
      const resolver = new CallerResolver(() => projection.engine, signingKeys, { allowDemoIdentities: config.AM_ALLOW_DEMO_IDENTITIES, certificates: pki, certificateAttestor: GATEWAY_TLS_PRINCIPAL });
      const svc = new MetadataService({
        projection,
        history: new MetaHistory(store),
        resolver,
        onCommit: (c) => void events.emit(`${METADATA_EVENTS_SUBJECT}.${c.change.kind}`, domainEvent(c)).catch((err: Error) => log.warn({ err: err.message }, 'event not published')),
      });
      service = svc;
      keeper = new HistoryKeeper(projection, store, { snapshotEvery: config.AM_SNAPSHOT_EVERY, retentionMs: config.AM_HISTORY_RETENTION });
      const keep = () =>
        keeper!
          .tick()
          .then((r) => {
            if (r.snapshot) log.info({ seq: r.snapshot.seq, nodes: r.snapshot.nodes, parts: r.snapshot.parts }, 'history snapshot taken');
            if (r.dropped) log.info({ dropped: r.dropped }, 'history past retention dropped');
          })
          .catch((err: Error) => log.warn({ err: err.message }, 'history upkeep failed; next round retries'));
      const upkeep = setInterval(keep, config.AM_HISTORY_INTERVAL);
      upkeep.unref();
      return {
        handlers: [
          ...commandHandlers(svc),
          ...queryHandlers(svc),
          ...universeHandlers(svc, log),
          ...identityHandlers(svc, resolver, { requireNativeLogin: config.AM_SSH_REQUIRE_NATIVE_LOGIN }),
        ],
        close: async () => {
          clearInterval(upkeep);
          await Promise.allSettled([projection.stop(), signingKeys.stop(), pki.stop(), events.close()]);
        },
      };
    },
  });
  return {
    ...backend,
    get projection(): MetaProjection {
      if (!service) throw new Error('policy is not started');
      return service.projection;
    },
    /** Snapshots and retention (runs every AM_HISTORY_INTERVAL; tests call tick()). */
    get keeper(): HistoryKeeper {
      if (!keeper) throw new Error('policy is not started');
      return keeper;
    },
    get service(): MetadataService {
      if (!service) throw new Error('policy is not started');
      return service;
    },
  };
}
