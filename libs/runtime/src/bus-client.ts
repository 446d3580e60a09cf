import { BusClient, natsConnectionOptions, type NatsSettings } from '@am/bus';
import { connect } from 'nats';

export interface BusConnection {
  bus: BusClient;
  /** Publishes a domain event (fire and forget: subscribers are notified, nobody answers). */
  emit(subject: string, data: unknown): Promise<void>;
  close(): Promise<void>;
}

/** A NATS client for a service's outgoing requests and events (separate from its server side). */
export async function connectBus(config: NatsSettings, name: string, timeoutMs = 5000): Promise<BusConnection> {
  const nc = await connect(natsConnectionOptions(config, name));
  const bus = new BusClient(() => nc, timeoutMs);
  return {
    bus,
    emit: async (subject, data) => bus.emit(subject, data),
    close: async () => {
      await nc.drain().catch(() => nc.close());
    },
  };
}
