import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdServer } from './etcd';
import { NatsServer } from './nats';
import { pluginPermissions, SERVICE_PERMISSIONS, type NatsUser } from './nats-config';

export type ServiceName = keyof typeof SERVICE_PERMISSIONS;
/** Two identity plugins with their own NATS users, so tests can show one cannot hear the other. */
export const TEST_PLUGINS = ['plugin', 'plugin2'] as const;
export type InfraUser = ServiceName | (typeof TEST_PLUGINS)[number];

export interface Closable {
  close(): Promise<void>;
}

/**
 * Real etcd + real nats-server on free loopback ports with temporary data, for integration tests.
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
  ) {}

  static async start(): Promise<TestInfra> {
    const dir = await mkdtemp(join(tmpdir(), 'am-test-'));
    const permissions = [...Object.entries(SERVICE_PERMISSIONS), ...TEST_PLUGINS.map((p) => [p, pluginPermissions(p)] as const)];
    const users = Object.fromEntries(
      permissions.map(([name, perms]) => [name, { user: name, password: randomBytes(18).toString('base64url'), ...perms }]),
    ) as Record<InfraUser, NatsUser>;
    let etcd: EtcdServer | undefined;
    try {
      await mkdir(join(dir, 'nats'));
      etcd = await EtcdServer.start({ dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log') });
      const nats = await NatsServer.start({ dir: join(dir, 'nats'), users: Object.values(users) });
      return new TestInfra(dir, etcd, nats, users);
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
      AM_NATS_URL: this.nats.url,
      AM_NATS_USER: this.users[service].user,
      AM_NATS_PASSWORD: this.users[service].password,
      AM_METRICS_PORT: '0',
      AM_GATEWAY_PORT: '0',
      AM_GATEWAY_TLS_PORT: '0',
      AM_SSH_PORT: '0',
      AM_SSH_HOST_KEY: join(this.dir, 'ssh_host_ed25519'),
      AM_MASTER_KEY_FILE: join(this.dir, 'master.key'),
      AM_LOG_LEVEL: 'silent',
      ...extra,
    };
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
