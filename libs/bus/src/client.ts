import { InternalError, UnavailableError } from '@am/model';
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { z } from 'zod';
import type { Contract, ReplyOf, RequestOf } from './contracts/core';
import { describeIssues, envelopeSchema, unwrapEnvelope, type Envelope } from './envelope';

/** A request could not be answered: nobody listens, it timed out, or NATS is down. */
export class BusUnavailableError extends UnavailableError {
  constructor(
    readonly subject: string,
    reason: string,
  ) {
    super(`${subject} unavailable: ${reason}`);
  }
}

/** The reply did not match the contract: a bug or a version skew between services. */
export class BusContractError extends InternalError {
  constructor(subject: string, issues: string) {
    super(`${subject} answered outside its contract: ${issues}`);
  }
}

const anyEnvelope = envelopeSchema(z.unknown());
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Typed request/reply on NATS, speaking the wire format of Nest's NATS transport (the services are
 * Nest microservices): `{pattern, data, id}` out, `{response, isDisposed, id}` back. It sits on
 * nats.js directly rather than on Nest's client proxy, which costs an rxjs pipeline per request on
 * the gateway's hot path. Replies are envelopes: a value (checked against the contract) or a typed
 * error, rethrown here as the matching AmError.
 */
export class BusClient {
  constructor(
    /** The connection, or undefined while it is being (re)established. */
    private readonly connection: () => NatsConnection | undefined,
    private readonly defaultTimeoutMs = 5000,
  ) {}

  async request<C extends Contract<z.ZodType, z.ZodType>>(c: C, payload: RequestOf<C>, timeoutMs = this.defaultTimeoutMs): Promise<ReplyOf<C>> {
    const body = c.request.parse(payload);
    const nc = this.connection();
    if (!nc || nc.isClosed()) throw new BusUnavailableError(c.subject, 'not connected to NATS');
    let packet: { err?: unknown; response?: unknown };
    try {
      const msg = await nc.request(c.subject, encoder.encode(JSON.stringify({ pattern: c.subject, data: body, id: randomUUID() })), { timeout: timeoutMs });
      packet = JSON.parse(decoder.decode(msg.data)) as typeof packet;
    } catch (err) {
      throw new BusUnavailableError(c.subject, describe(err));
    }
    if (packet.err !== undefined && packet.err !== null) throw new BusContractError(c.subject, 'the handler failed outside its envelope');
    const envelope = anyEnvelope.safeParse(packet.response);
    if (!envelope.success) throw new BusContractError(c.subject, describeIssues(envelope.error));
    const value = unwrapEnvelope(c.subject, envelope.data as Envelope<unknown>);
    const parsed = c.reply.safeParse(value);
    if (!parsed.success) throw new BusContractError(c.subject, describeIssues(parsed.error));
    return parsed.data as ReplyOf<C>;
  }

  /** Publishes a domain event in the Nest event format (`{pattern, data}`); nobody answers. */
  emit(subject: string, data: unknown): void {
    const nc = this.connection();
    if (!nc || nc.isClosed()) throw new BusUnavailableError(subject, 'not connected to NATS');
    nc.publish(subject, encoder.encode(JSON.stringify({ pattern: subject, data })));
  }
}

function describe(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === '503') return 'no service is listening';
  if (code === 'TIMEOUT' || (err as Error).name === 'TimeoutError') return 'timed out';
  if (err instanceof Error) return err.message;
  return String(err);
}
