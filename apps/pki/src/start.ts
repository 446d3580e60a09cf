import { PKI_EVENTS_SUBJECT } from '@am/bus';
import { MasterKey, RecordSigner } from '@am/crypto';
import { PkiView } from '@am/pki-state';
import { connectBus, loadConfig, startBackend, type BusConnection, type ConfigOf } from '@am/runtime';
import { PkiAuthorization } from './authorization';
import { signUnsignedCa } from './ca-store';
import { pkiSettings } from './config';
import { pkiHandlers } from './handlers';
import { PkiService } from './pki-service';

export { pkiSettings };

export type PkiConfig = ConfigOf<typeof pkiSettings>;

/** How often each replica checks whether the CRL is past half its life (bounded by the CRL lifetime). */
const MAX_REFRESH_CHECK_MS = 60_000;

/**
 * The pki service: certificate authority, issued certificates, revocations, CRL and trust store.
 * It keeps a PkiView of the live trust state (snapshot + watch), creates the CA on first start
 * (unless AM_PKI_AUTO_INIT=false), asks the policy service for every authorization decision and
 * publishes each committed event on `am.events.pki.<kind>`.
 */
export async function startPki(config: PkiConfig = loadConfig(pkiSettings)) {
  let view: PkiView | undefined;
  let service: PkiService | undefined;
  let bus: BusConnection | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  const backend = await startBackend({
    service: 'pki',
    config,
    setup: async ({ etcd, log, keys, ignored }) => {
      const masterKey = await MasterKey.load(config.AM_MASTER_KEY_FILE, { create: true });
      const records = RecordSigner.fromMasterKey('pki', masterKey);
      // Public: the gateway and policy need it (AM_PKI_RECORD_KEY) to trust our live records.
      log.info({ recordKey: records.toString() }, 'pki record key');
      bus = await connectBus(config, 'pki-client');
      const connection = bus;
      try {
        view = new PkiView(etcd, keys, { recordKey: records, ignored, onError: (err) => log.warn({ err: err.message }, 'pki view') });
        const upgraded = await signUnsignedCa(etcd, view.layout, masterKey, records).catch((err: Error) => {
          log.warn({ err: err.message }, 'the unsigned CA record is not ours; it stays untrusted');
          return false;
        });
        if (upgraded) log.info('CA record signed with the record key');
        await view.start();
        service = new PkiService({
          etcd,
          view,
          masterKey,
          records,
          auth: new PkiAuthorization(connection.bus),
          publish: (event) =>
            void connection.emit(`${PKI_EVENTS_SUBJECT}.${event.kind}`, event).catch((err: Error) => log.warn({ err: err.message, kind: event.kind }, 'pki event not published')),
          log,
          settings: {
            defaultKeyType: config.AM_PKI_KEY_TYPE,
            organization: config.AM_PKI_ORGANIZATION,
            certValidityMs: config.AM_PKI_CERT_VALIDITY,
            certMaxValidityMs: config.AM_PKI_CERT_MAX_VALIDITY,
            crlValidityMs: config.AM_PKI_CRL_VALIDITY,
            reservedNames: config.AM_PKI_RESERVED_NAMES,
          },
        });
        if (config.AM_PKI_AUTO_INIT) await service.ensureCa();
        const svc = service;
        const every = Math.max(1000, Math.min(MAX_REFRESH_CHECK_MS, Math.floor(config.AM_PKI_CRL_VALIDITY / 10)));
        refreshTimer = setInterval(() => void svc.refreshCrlIfDue().catch((err: Error) => log.warn({ err: err.message }, 'CRL refresh failed')), every);
        refreshTimer.unref();
      } catch (err) {
        await view?.stop();
        await connection.close();
        throw err;
      }
      return {
        handlers: pkiHandlers(service),
        // With auto-init the CA is part of being ready; with manual init, pki is ready to accept `am pki init`.
        checks: (): Record<string, 'up' | 'down'> => (config.AM_PKI_AUTO_INIT ? { ca: view?.ca ? 'up' : 'down' } : {}),
        close: async () => {
          clearInterval(refreshTimer);
          await view?.stop();
          await connection.close();
        },
      };
    },
  });
  return {
    ...backend,
    get view(): PkiView {
      if (!view) throw new Error('pki is not started');
      return view;
    },
    get service(): PkiService {
      if (!service) throw new Error('pki is not started');
      return service;
    },
  };
}
