import { NatsContext, Server, type CustomTransportStrategy } from '@nestjs/microservices';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { isObservable, lastValueFrom } from 'rxjs';
import { serveBus, type BusServer, type OnDropped } from './bus-server';

/**
 * The services' Nest transport: Nest binds each @MessagePattern subject to its controller method
 * (busController); this strategy answers those subjects on NATS through serveBus, in the queue
 * group `queue`. A custom strategy rather than Nest's built-in NATS server, whose per-message
 * overhead dominated a service's CPU time per request (see serveBus).
 */
export class NatsBusStrategy extends Server implements CustomTransportStrategy {
  private server?: BusServer;

  constructor(
    private readonly connectNats: () => Promise<NatsConnection>,
    private readonly queue: string,
    private readonly log: Logger,
    private readonly onDropped?: OnDropped,
  ) {
    super();
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      const endpoints = [...this.messageHandlers]
        .filter(([, handle]) => !handle.isEventHandler)
        .map(([subject, handle]) => ({
          subject,
          answer: async (data: unknown) => {
            const result: unknown = await handle(data, new NatsContext([subject, undefined]));
            return isObservable(result) ? lastValueFrom(result) : result;
          },
        }));
      this.server = await serveBus(await this.connectNats(), this.queue, endpoints, this.log, this.onDropped);
      callback();
    } catch (err) {
      callback(err);
    }
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  /** Nest's status events: this transport reports connection trouble in the service log instead. */
  on(): never {
    throw new Error('NatsBusStrategy has no event listeners');
  }

  unwrap<T>(): T {
    return this.server as T;
  }
}
