import { sshLoginKeysContract } from '@am/bus';
import { MasterKey } from '@am/crypto';
import { connectBus, loadConfig, startBackend, type BusConnection, type ConfigOf } from '@am/runtime';
import { dirname, join } from 'node:path';
import { Counter } from 'prom-client';
import { identitySettings } from './config';
import { credentialHandlers } from './credentials/handlers';
import { CredentialIssuer } from './credentials/issuer';
import { CredentialEventLog, eventSubject } from './events';
import { SigningKeyStore } from './keys/signing-key-store';
import { loadOrCreateHostKey } from './ssh/host-key';
import { FailureLimiter } from './ssh/failure-limiter';
import { startSshEndpoint } from './ssh/ssh-endpoint';

export { identitySettings };

export type IdentityConfig = ConfigOf<typeof identitySettings>;

/** Expired signing keys are removed (and retired keys announced) this often. */
const HOUSEKEEPING_MS = 60_000;

/** The master key file: AM_MASTER_KEY_FILE, else master.key beside the ssh host key (both are the service's secrets). */
export function masterKeyFile(config: IdentityConfig): string {
  return config.AM_MASTER_KEY_FILE ?? join(dirname(config.AM_SSH_HOST_KEY), 'master.key');
}

/**
 * The identity service: signing keys (sealed in etcd, rotated, shared by replicas), credential
 * issuance for identity plugins (vouch), delegation and dataset credentials, validation and the
 * public keys on NATS, and the ssh credential endpoint. Every decision is asked of the policy
 * service; identity signs only what policy allowed.
 */
export async function startIdentity(config: IdentityConfig = loadConfig(identitySettings)) {
  const hostKey = await loadOrCreateHostKey(config.AM_SSH_HOST_KEY);
  const masterKey = await MasterKey.load(masterKeyFile(config), { create: true });
  let keys: SigningKeyStore | undefined;
  let issuer: CredentialIssuer | undefined;
  let bus: BusConnection | undefined;
  let sshPort = 0;
  const backend = await startBackend({
    service: 'identity',
    config,
    setup: async ({ etcd, log, keys: layout, metrics, ignored }) => {
      const connection = await connectBus(config, 'identity-client');
      bus = connection;
      const issuedTotal = new Counter({ name: 'am_identity_credentials_issued_total', help: 'credentials issued', labelNames: ['via'], registers: [metrics] });
      const announce = (subject: string, data: unknown) =>
        void connection.emit(subject, data).catch((err: Error) => log.warn({ err: err.message, subject }, 'identity event not published'));
      const store = new SigningKeyStore(etcd, layout, masterKey, {
        rotationPeriodSec: config.AM_SIGNING_KEY_ROTATION,
        log,
        ignored,
        onCommitted: (events) => events.forEach((event) => announce(eventSubject(event.kind), event)),
      });
      // Public: the gateway and policy need it (AM_IDENTITY_RECORD_KEY) to trust our key records.
      log.info({ recordKey: store.publicRecordKey }, 'identity record key');
      try {
        await store.start();
      } catch (err) {
        await connection.close();
        throw err;
      }
      keys = store;
      const housekeeping = setInterval(() => {
        void store.removeExpired().catch((err: Error) => log.warn({ err: err.message }, 'expired signing keys not removed'));
      }, HOUSEKEEPING_MS);
      housekeeping.unref();
      const auditLog = new CredentialEventLog(etcd, layout, config.AM_IDENTITY_EVENT_RETENTION, {
        onWriteError: (err, unrecorded) => log.warn({ err: err.message, unrecorded }, 'credential-issued records not written to etcd; retrying'),
        onCommitted: (events) => announce(eventSubject('credential-issued'), events),
      });
      issuer = new CredentialIssuer(store, auditLog, (event) => issuedTotal.inc({ via: event.via ?? 'unknown' }), log);
      return {
        handlers: credentialHandlers({
          bus: connection.bus,
          issuer,
          keys: store,
          lifetimes: { vouchSec: config.AM_VOUCH_CREDENTIAL_TTL, delegationSec: config.AM_DELEGATION_CREDENTIAL_TTL },
        }),
        close: async () => {
          clearInterval(housekeeping);
          const lost = await auditLog.close();
          if (lost > 0) log.error({ unrecorded: lost }, 'credential-issued records lost: etcd did not take them before stop');
          await Promise.allSettled([store.stop(), connection.close()]);
        },
      };
    },
    afterStart: async ({ log, metrics }) => {
      const sshOutcomes = new Counter({ name: 'am_identity_ssh_logins_total', help: 'ssh credential endpoint outcomes', labelNames: ['outcome'], registers: [metrics] });
      const ssh = await startSshEndpoint({
        hostKey,
        port: config.AM_SSH_PORT,
        host: config.AM_SSH_HOST,
        log,
        limiter: new FailureLimiter(config.AM_SSH_MAX_FAILURES, config.AM_SSH_FAILURE_WINDOW),
        loginKeys: async (principal) => (await bus!.bus.request(sshLoginKeysContract, { principal })).keys,
        issue: async (principal) =>
          (await issuer!.issue({ principal, kind: 'login', lifetimeSec: config.AM_SSH_CREDENTIAL_TTL, via: 'ssh', actor: principal })).credential,
        onOutcome: (outcome) => sshOutcomes.inc({ outcome }),
      });
      sshPort = ssh.port;
      return ssh;
    },
  });
  return {
    ...backend,
    sshPort,
    get signingKeys(): SigningKeyStore {
      if (!keys) throw new Error('identity is not started');
      return keys;
    },
  };
}
