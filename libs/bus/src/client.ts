import type { ClientProxy } from '@nestjs/microservices';

// Any Nest client proxy (the NATS one in practice); its status stream type is irrelevant here.
type AnyClientProxy = ClientProxy<Record<never, Function>, any>;
import { firstValueFrom, timeout as rxTimeout } from 'rxjs';
import type { z } from 'zod';
import type { Contract, ReplyOf, RequestOf } from './contracts';

/** A request could not be answered: nobody listens, it timed out, or NATS is down. */
export class BusUnavailableError extends Error {
  constructor(
    readonly subject: string,
    reason: string,
  ) {
    super(`${subject} unavailable: ${reason}`);
    this.name = 'BusUnavailableError';
  }
}

/** The reply did not match the contract: a bug or a version skew between services. */
export class BusContractError extends Error {
  constructor(subject: string, issues: string) {
    super(`${subject} answered outside its contract: ${issues}`);
    this.name = 'BusContractError';
  }
}

/** Typed request/reply over a Nest NATS client proxy. */
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
    const parsed = c.reply.safeParse(raw);
    if (!parsed.success) throw new BusContractError(c.subject, parsed.error.issues.map((i) => i.message).join('; '));
    return parsed.data as ReplyOf<C>;
  }
}

function describe(err: unknown): string {
  if (err && typeof err === 'object' && 'name' in err && (err as Error).name === 'TimeoutError') return 'timed out';
  if (err instanceof Error) return err.message;
  return String(err);
}
