import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterKey, RecordSigner, type RecordDomain } from '@am/crypto';
import { createEtcd, ensureEtcdAccess, etcdTlsOptions, ETCD_ROOT_USER, ETCD_SERVICE_USERS, type EtcdServiceUser } from '@am/store';
import type { Etcd3 } from 'etcd3';
import { connect, type NatsConnection } from 'nats';
import { EtcdServer } from './etcd';
import { ensureEtcdCertificates, type EtcdCertificates } from './etcd-tls';
import { NatsServer } from './nats';
import { pluginPermissions, SERVICE_PERMISSIONS, type NatsUser } from './nats-config';

export type ServiceName = keyof typeof SERVICE_PERMISSIONS;
/** Two identity plugins with their own NATS users, so tests can show one cannot hear the other. */
export const TEST_PLUGINS = ['plugin', 'plugin2'] as const;
export type InfraUser = ServiceName | (typeof TEST_PLUGINS)[number];

export interface TestInfraOptions {
  /**
   * AM_ETCD_PREFIX values the services' etcd users are granted (default ['/am/']); a test that
   * starts a service on another prefix lists it here.
   */
  etcdPrefixes?: readonly string[];
  /** An etcd without TLS and authentication, for the tests of that refusal (default false). */
  insecureEtcd?: boolean;
}

export interface Closable {
  close(): Promise<void>;
}

/**
 * Real etcd + real nats-server on free loopback ports with temporary data, for integration tests.
 * etcd is secured as in the stack: TLS, client-certificate authentication and one RBAC user per
 * service (`env(service)` hands each its own certificate); `etcdClient()` is the administrator.
 * Apps started in process are registered with `track` and closed first by `stop()`, which also
 * removes the temporary directory. Call `stop()` in afterAll: it is safe after a failed start.
 */
export class TestInfra {
  private readonly apps: Closable[] = [];
  private constructor(
    readonly dir: string,
    readonly etcd: EtcdServer,
    readonly nats: NatsServer,
    private readonly users: Record<InfraUser, NatsUser>,
    /** A test-only NATS user that hears every subject and may publish none of ours (`observe()`). */
    private readonly observer: NatsUser,
    /** Undefined with `insecureEtcd`. */
    readonly etcdCerts: EtcdCertificates | undefined,
    /**
     * The record keys of identity and pki, derived from the master key the harness makes up front
     * (`<dir>/master.key`, which both services are given), as the stack does; the verifiers get
     * their public halves in `env()`.
     */
    readonly records: Record<RecordDomain, RecordSigner>,
  ) {}

  static async start(options: TestInfraOptions = {}): Promise<TestInfra> {
    const dir = await mkdtemp(join(tmpdir(), 'am-test-'));
    const permissions = [...Object.entries(SERVICE_PERMISSIONS), ...TEST_PLUGINS.map((p) => [p, pluginPermissions(p)] as const)];
    const users = Object.fromEntries(
      permissions.map(([name, perms]) => [name, { user: name, password: randomBytes(18).toString('base64url'), ...perms }]),
    ) as Record<InfraUser, NatsUser>;
    const observer: NatsUser = { user: 'observer', password: randomBytes(18).toString('base64url'), publish: ['test.observer.>'], subscribe: ['>'] };
    let etcd: EtcdServer | undefined;
    try {
      await mkdir(join(dir, 'nats'));
      const certs = options.insecureEtcd ? undefined : await ensureEtcdCertificates(join(dir, 'etcd-tls'));
      const tls = certs && { server: certs.server, probe: certs.client(ETCD_ROOT_USER) };
      etcd = await EtcdServer.start({ dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), tls });
      if (certs) {
        const root = createEtcd([etcd.url], etcdTlsOptions(certs.client(ETCD_ROOT_USER), { serverName: 'localhost' }));
        await ensureEtcdAccess(root, options.etcdPrefixes ?? ['/am/']).finally(() => root.close());
      }
      const nats = await NatsServer.start({ dir: join(dir, 'nats'), users: [...Object.values(users), observer] });
      const master = await MasterKey.load(join(dir, 'master.key'), { create: true });
      const records = { identity: RecordSigner.fromMasterKey('identity', master), pki: RecordSigner.fromMasterKey('pki', master) };
      return new TestInfra(dir, etcd, nats, users, observer, certs, records);
    } catch (err) {
      await etcd?.stop();
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Environment for a service (or plugin) under test: this infra's URLs, its NATS user, ephemeral ports, quiet logs. */
  env(service: InfraUser, extra: Record<string, string> = {}): Record<string, string> {
    return {
      AM_ETCD_URLS: this.etcd.url,
      ...this.etcdEnv(service),
      AM_NATS_URL: this.nats.url,
      AM_NATS_USER: this.users[service].user,
      AM_NATS_PASSWORD: this.users[service].password,
      AM_METRICS_PORT: '0',
      AM_GATEWAY_PORT: '0',
      AM_GATEWAY_TLS_PORT: '0',
      AM_SSH_PORT: '0',
      AM_SSH_HOST_KEY: join(this.dir, 'ssh_host_ed25519'),
      AM_MASTER_KEY_FILE: join(this.dir, 'master.key'),
      AM_IDENTITY_RECORD_KEY: this.records.identity.toString(),
      AM_PKI_RECORD_KEY: this.records.pki.toString(),
      AM_LOG_LEVEL: 'silent',
      // The suite's callers are mostly bare principal paths: the tests opt in to what the services
      // refuse by default (a test of the default passes AM_ALLOW_DEMO_IDENTITIES: '', i.e. unset).
      ...(service === 'policy' ? { AM_ALLOW_DEMO_IDENTITIES: 'true' } : {}),
      ...extra,
    };
  }

  /** A service's etcd client certificate as AM_ETCD_* variables (a plugin has none: it does not use etcd). */
  private etcdEnv(service: InfraUser): Record<string, string> {
    if (!this.etcdCerts) return { AM_ETCD_ALLOW_INSECURE: 'true' };
    if (!(ETCD_SERVICE_USERS as readonly string[]).includes(service)) return {};
    const files = this.etcdCerts.client(service);
    return { AM_ETCD_CA_FILE: files.caFile, AM_ETCD_CERT_FILE: files.certFile, AM_ETCD_KEY_FILE: files.keyFile };
  }

  /** A NATS connection that hears every subject and may publish none of ours: to see where messages go. Close it when done. */
  observe(): Promise<NatsConnection> {
    return connect({ servers: this.nats.url, user: this.observer.user, pass: this.observer.password });
  }

  /** A new etcd client as `user` (default root, etcd's administrator); close it when done. */
  etcdClient(user: EtcdServiceUser | typeof ETCD_ROOT_USER = ETCD_ROOT_USER): Etcd3 {
    return createEtcd([this.etcd.url], this.etcdCerts ? etcdTlsOptions(this.etcdCerts.client(user), { serverName: 'localhost' }) : {});
  }

  track<T extends Closable>(app: T): T {
    this.apps.push(app);
    return app;
  }

  async stop(): Promise<void> {
    for (const app of this.apps.splice(0).reverse()) await app.close().catch(() => undefined);
    await this.nats.stop();
    await this.etcd.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
