import { BACKEND_SERVICES, BusClient, healthContract } from '@am/bus';
import { etcdReachable, withDeadline } from '@am/store';
import type { Etcd3 } from 'etcd3';
import type { NatsConnection } from 'nats';

export type Dependency = 'etcd' | 'nats' | (typeof BACKEND_SERVICES)[number];
export interface Readiness {
  ready: boolean;
  down: Dependency[];
  checks: Record<Dependency, 'up' | 'down'>;
}

/**
 * Asks every dependency at once: etcd directly, NATS by a PING round trip, and each backend
 * service by its health subject. Ready only when all of them answer in time.
 */
export async function probeReadiness(deps: { etcd: Etcd3; nats: () => NatsConnection | undefined; bus: BusClient; timeoutMs: number }): Promise<Readiness> {
  const natsUp = async () => {
    const nc = deps.nats();
    if (!nc || nc.isClosed()) return false;
    return withDeadline(nc.flush(), deps.timeoutMs, () => new Error('timeout')).then(
      () => true,
      () => false,
    );
  };
  const serviceUp = (s: (typeof BACKEND_SERVICES)[number]) =>
    deps.bus.request(healthContract(s), {}, deps.timeoutMs).then(
      () => true,
      () => false,
    );
  const names: Dependency[] = ['etcd', 'nats', ...BACKEND_SERVICES];
  const results = await Promise.all([etcdReachable(deps.etcd, deps.timeoutMs), natsUp(), ...BACKEND_SERVICES.map(serviceUp)]);
  const checks = Object.fromEntries(names.map((n, i) => [n, results[i] ? 'up' : 'down'])) as Readiness['checks'];
  const down = names.filter((n) => checks[n] === 'down');
  return { ready: down.length === 0, down, checks };
}
