import type { ClientProxy } from '@nestjs/microservices';
import { InternalError, UnavailableError } from '@am/model';
import { firstValueFrom, timeout as rxTimeout } from 'rxjs';
import { z } from 'zod';
import type { Contract, ReplyOf, RequestOf } from './contracts/core';
import { describeIssues, envelopeSchema, unwrapEnvelope, type Envelope } from './envelope';

// Any Nest client proxy (the NATS one in practice); its status stream type is irrelevant here.
type AnyClientProxy = ClientProxy<Record<never, Function>, any>;

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

/**
 * Typed request/reply over a Nest NATS client proxy. Replies arrive as envelopes: a value (checked
 * against the contract) or a typed error, rethrown here as the matching AmError.
 */
export class BusClient {
  constructor(
    private readonly proxy: AnyClientProxy,
    private readonly defaultTimeoutMs = 5000,
  ) {}

  async request<C extends Contract<z.ZodType, z.ZodType>>(c: C, payload: RequestOf<C>, timeoutMs = this.defaultTimeoutMs): Promise<ReplyOf<C>> {
    const body = c.request.parse(payload);
    let raw: unknown;
    try {
      raw = await firstValueFrom(this.proxy.send(c.subject, body).pipe(rxTimeout(timeoutMs)));
    } catch (err) {
      throw new BusUnavailableError(c.subject, describe(err));
    }
    const envelope = anyEnvelope.safeParse(raw);
    if (!envelope.success) throw new BusContractError(c.subject, describeIssues(envelope.error));
    const value = unwrapEnvelope(c.subject, envelope.data as Envelope<unknown>);
    const parsed = c.reply.safeParse(value);
    if (!parsed.success) throw new BusContractError(c.subject, describeIssues(parsed.error));
    return parsed.data as ReplyOf<C>;
  }
}

function describe(err: unknown): string {
  if (err && typeof err === 'object' && 'name' in err && (err as Error).name === 'TimeoutError') return 'timed out';
  if (err instanceof Error) return err.message;
  return String(err);
}
