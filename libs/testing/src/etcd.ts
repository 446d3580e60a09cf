import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EtcdTlsFiles } from '@am/store';
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
  /**
   * Client TLS with client-certificate authentication (https:// URL): etcd's server certificate,
   * and the CA its clients' certificates must come from. `probe`: a client certificate for the
   * readiness check. Without it, plain http:// and no authentication.
   */
  tls?: { server: EtcdTlsFiles; probe: EtcdTlsFiles };
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
      tls: undefined,
      ...options,
    } as Required<EtcdOptions>;
    const server = new EtcdServer(opts, requireBinary('etcd', 'etcd-server'));
    await server.start();
    return server;
  }

  get url(): string {
    return `${this.opts.tls ? 'https' : 'http'}://${this.opts.host}:${this.opts.clientPort}`;
  }
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(): Promise<void> {
    const { host, clientPort, peerPort, dataDir, logFile, tls } = this.opts;
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
        ...(tls
          ? ['--client-cert-auth', '--trusted-ca-file', tls.server.caFile, '--cert-file', tls.server.certFile, '--key-file', tls.server.keyFile]
          : []),
      ],
      { logFile, detached: this.opts.detached },
    );
    await awaitReady(this.proc, `etcd on ${this.url}`, logFile, () => (tls ? httpsHealthy(`${this.url}/health`, tls.probe) : plainHealthy(`${this.url}/health`)));
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = undefined;
  }
}

async function plainHealthy(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(500) });
  return res.ok && ((await res.json()) as { health?: string }).health === 'true';
}

/** /health over TLS with a client certificate (etcd with --client-cert-auth requires one there too). */
function httpsHealthy(url: string, files: EtcdTlsFiles): Promise<boolean> {
  const [ca, cert, key] = [files.caFile, files.certFile, files.keyFile].map((f) => readFileSync(f));
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, cert, key, servername: 'localhost', timeout: 500 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => {
        try {
          resolve(res.statusCode === 200 && (JSON.parse(body) as { health?: string }).health === 'true');
        } catch {
          resolve(false);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject).end();
  });
}
