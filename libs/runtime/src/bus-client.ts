import { BusClient, natsTransport, type NatsSettings } from '@am/bus';
import { ClientProxyFactory, type ClientNats } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';

export interface BusConnection {
  bus: BusClient;
  /** Publishes a domain event (fire and forget: subscribers are notified, nobody answers). */
  emit(subject: string, data: unknown): Promise<void>;
  close(): Promise<void>;
}

/** A NATS client for a service's outgoing requests and events (separate from its server side). */
export async function connectBus(config: NatsSettings, name: string, timeoutMs = 5000): Promise<BusConnection> {
  const proxy = ClientProxyFactory.create(natsTransport(config, name)) as ClientNats;
  await proxy.connect();
  return {
    bus: new BusClient(proxy, timeoutMs),
    emit: async (subject, data) => {
      await firstValueFrom(proxy.emit(subject, data), { defaultValue: undefined });
    },
    close: () => proxy.close(),
  };
}
