import { BACKEND_SERVICES, BusClient, healthContract } from '@am/bus';
import { etcdReachable, withDeadline, type IgnoredRecords, type IgnoredRecordsSummary } from '@am/store';
import type { Etcd3 } from 'etcd3';
import type { NatsConnection } from 'nats';

export type Dependency = 'etcd' | 'nats' | (typeof BACKEND_SERVICES)[number];
export interface Readiness {
  ready: boolean;
  down: Dependency[];
  checks: Record<Dependency, 'up' | 'down'>;
  /**
   * Per service that reported any: etcd records it ignores because they do not authenticate. They
   * do not make the stack unready (they are not used), but someone wrote them, or a record key is
   * misconfigured: an operator must look.
   */
  ignoredRecords?: Partial<Record<'gateway' | (typeof BACKEND_SERVICES)[number], IgnoredRecordsSummary>>;
}

/**
 * Asks every dependency at once: etcd directly, NATS by a PING round trip, and each backend
 * service by its health subject. Ready only when all of them answer in time.
 */
export async function probeReadiness(deps: {
  etcd: Etcd3;
  nats: () => NatsConnection | undefined;
  bus: BusClient;
  timeoutMs: number;
  ignored: IgnoredRecords;
}): Promise<Readiness> {
  const natsUp = async () => {
    const nc = deps.nats();
    if (!nc || nc.isClosed()) return false;
    return withDeadline(nc.flush(), deps.timeoutMs, () => new Error('timeout')).then(
      () => true,
      () => false,
    );
  };
  const ignoredRecords: NonNullable<Readiness['ignoredRecords']> = {};
  if (deps.ignored.size > 0) ignoredRecords.gateway = deps.ignored.summary();
  const serviceUp = (s: (typeof BACKEND_SERVICES)[number]) =>
    deps.bus.request(healthContract(s), {}, deps.timeoutMs).then(
      (reply) => {
        if (reply.ignoredRecords?.count) ignoredRecords[s] = reply.ignoredRecords;
        return true;
      },
      () => false,
    );
  const names: Dependency[] = ['etcd', 'nats', ...BACKEND_SERVICES];
  const results = await Promise.all([etcdReachable(deps.etcd, deps.timeoutMs), natsUp(), ...BACKEND_SERVICES.map(serviceUp)]);
  const checks = Object.fromEntries(names.map((n, i) => [n, results[i] ? 'up' : 'down'])) as Readiness['checks'];
  const down = names.filter((n) => checks[n] === 'down');
  return { ready: down.length === 0, down, checks, ...(Object.keys(ignoredRecords).length ? { ignoredRecords } : {}) };
}
