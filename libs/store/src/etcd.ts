import { readFileSync } from 'node:fs';
import { Etcd3, type IOptions } from 'etcd3';
import { noop } from 'cockatiel';
import { withDeadline } from './deadline';

/**
 * An etcd3 client for long-running services.
 *
 * etcd3's default fault handling opens a circuit breaker after one UNAVAILABLE and then fails every
 * call instantly for a while, which would keep a service "down" after etcd has come back. We use
 * no host-level breaker and no global retry: callers see each failure immediately and decide.
 */
// Snapshot pages of a large tree exceed gRPC's default 4 MiB reply limit.
const GRPC_OPTIONS = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 };

export function createEtcd(hosts: string[], options: Partial<IOptions> = {}): Etcd3 {
  const client = new Etcd3({
    hosts,
    dialTimeout: 2000,
    faultHandling: { host: () => noop, global: noop },
    grpcOptions: GRPC_OPTIONS,
    ...options,
  });
  // etcd3 schedules a reconnect of the watch stream after every stream error and, when it fires,
  // reconnects for any watcher still attached — through a closed pool, fail, reschedule, forever
  // (a process that lost etcd once would never exit). A closed client never re-establishes it.
  const close = client.close.bind(client);
  client.close = () => {
    const manager = (client as unknown as { watchManager?: { establishStream?: () => void } }).watchManager;
    if (manager && typeof manager.establishStream === 'function') manager.establishStream = () => undefined;
    close();
  };
  return client;
}

/** True when etcd answers a status call within the timeout. */
export function etcdReachable(client: Etcd3, timeoutMs = 1000): Promise<boolean> {
  return withDeadline(client.maintenance.status(), timeoutMs, () => new Error('timeout')).then(
    () => true,
    () => false,
  );
}

/** The files of an etcd client certificate: the CA that signed etcd's server certificate, and ours. */
export interface EtcdTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * etcd3 options for a TLS connection that authenticates with a client certificate (etcd takes the
 * user from its CN: no password, no auth token to refresh). Reads the files now, so a missing or
 * unreadable file fails at start-up.
 */
export function etcdTlsOptions(files: EtcdTlsFiles, options: { serverName?: string } = {}): Partial<IOptions> {
  return {
    // grpc sends an IP host as the TLS server name, which Node deprecates (a warning on stderr);
    // a caller that knows a name in the server certificate (the stack's own: localhost) gives it.
    ...(options.serverName ? { grpcOptions: { ...GRPC_OPTIONS, 'grpc.ssl_target_name_override': options.serverName } } : {}),
    credentials: {
      rootCertificate: readFileSync(files.caFile),
      certChain: readFileSync(files.certFile),
      privateKey: readFileSync(files.keyFile),
    },
  };
}
