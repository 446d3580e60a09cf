import { join } from 'node:path';
import { requireBinary } from './binaries';
import { freePorts } from './net';
import { awaitReady, launch, type ManagedProcess } from './process';

export interface EtcdOptions {
  dataDir: string;
  logFile?: string;
  clientPort?: number;
  peerPort?: number;
  host?: string;
  /** Survive this process (the local stack's --detach). */
  detached?: boolean;
}

/** A real etcd server on loopback. `stop()` and `start()` keep the data dir and ports, for outage tests. */
export class EtcdServer {
  private proc?: ManagedProcess;
  private constructor(
    private readonly opts: Required<EtcdOptions>,
    private readonly binary: string,
  ) {}

  static async start(options: EtcdOptions): Promise<EtcdServer> {
    // Two consecutive ports, so the client and peer ports can never be the same one.
    const free = options.clientPort === undefined || options.peerPort === undefined ? await freePorts(2) : 0;
    const opts: Required<EtcdOptions> = {
      host: '127.0.0.1',
      logFile: join(options.dataDir, '..', 'etcd.log'),
      clientPort: options.clientPort ?? free,
      peerPort: options.peerPort ?? free + 1,
      detached: false,
      ...options,
    } as Required<EtcdOptions>;
    const server = new EtcdServer(opts, requireBinary('etcd', 'etcd-server'));
    await server.start();
    return server;
  }

  get url(): string {
    return `http://${this.opts.host}:${this.opts.clientPort}`;
  }
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(): Promise<void> {
    const { host, clientPort, peerPort, dataDir, logFile } = this.opts;
    const peer = `http://${host}:${peerPort}`;
    this.proc = launch(
      this.binary,
      [
        '--name', 'am',
        '--data-dir', dataDir,
        '--listen-client-urls', this.url,
        '--advertise-client-urls', this.url,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `am=${peer}`,
        '--log-level', 'warn',
        // Recursive deletes remove a whole subtree in one transaction (two operations per node).
        '--max-txn-ops', '10000',
      ],
      { logFile, detached: this.opts.detached },
    );
    await awaitReady(this.proc, `etcd on ${this.url}`, logFile, async () => {
      const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(500) });
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    });
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = undefined;
  }
}
