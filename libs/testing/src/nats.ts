import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireBinary } from './binaries';
import { renderNatsConfig, type NatsUser } from './nats-config';
import { freePort, portOpen } from './net';
import { awaitReady, launch, type ManagedProcess } from './process';

export interface NatsOptions {
  dir: string;
  users: NatsUser[];
  port?: number;
  host?: string;
  /** Survive this process (the local stack's --detach). */
  detached?: boolean;
}

/** A real nats-server with JetStream and per-service users, on loopback. Restartable in place. */
export class NatsServer {
  private proc?: ManagedProcess;
  private constructor(
    private readonly binary: string,
    private readonly host: string,
    readonly port: number,
    private readonly configFile: string,
    private readonly logFile: string,
    private readonly detached: boolean,
  ) {}

  static async start(options: NatsOptions): Promise<NatsServer> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? (await freePort());
    const configFile = join(options.dir, 'nats.conf');
    await writeFile(configFile, renderNatsConfig({ host, port, storeDir: join(options.dir, 'jetstream'), users: options.users }), { mode: 0o600 });
    const server = new NatsServer(requireBinary('nats-server', 'nats-server'), host, port, configFile, join(options.dir, 'nats.log'), options.detached ?? false);
    await server.start();
    return server;
  }

  get url(): string {
    return `nats://${this.host}:${this.port}`;
  }

  async start(): Promise<void> {
    this.proc = launch(this.binary, ['-c', this.configFile], { logFile: this.logFile, detached: this.detached });
    await awaitReady(this.proc, `nats-server on ${this.url}`, this.logFile, () => portOpen(this.port, this.host));
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = undefined;
  }
}
