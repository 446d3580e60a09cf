import { InternalError, InvalidArgumentError, UnauthenticatedError, UnavailableError } from '@am/model';
import { randomUUID } from 'node:crypto';
import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from 'nats';
import { z } from 'zod';
import type { Contract, ReplyOf, RequestOf } from './contracts/core';
import { describeIssues, envelopeSchema, unwrapEnvelope, type Envelope } from './envelope';
import { DEFAULT_MAX_PAYLOAD, PartsAssembler, messageParts } from './message-parts';

/** A request could not be answered: nobody listens, it timed out, or NATS is down. */
export class BusUnavailableError extends UnavailableError {
  constructor(
    readonly subject: string,
    reason: string,
    /** NATS said at once that nothing subscribes to the subject. */
    readonly noResponders = false,
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

interface Waiter {
  resolve(data: Uint8Array): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  /** Set once the first part of a reply in parts (message-parts.ts) has arrived. */
  parts?: PartsAssembler;
}

/**
 * Replies for one connection arrive on one wildcard inbox subscription, matched to their request
 * by subject. (nats.js's own request() allocates an Error per call even on success, which shows up
 * in the gateway's profile.) A 503 status reply means nobody listens on the subject. A reply in
 * parts is joined here; each part restarts the timeout (the wait is for silence, not for size).
 */
class ReplyInbox {
  private readonly prefix: string;
  private seq = 0;
  private readonly pending = new Map<string, Waiter>();

  constructor(
    private readonly nc: NatsConnection,
    inboxPrefix: string | undefined,
  ) {
    this.prefix = `${createInbox(inboxPrefix)}.`;
    nc.subscribe(`${this.prefix}*`, {
      callback: (_err, msg) => this.receive(msg),
    });
  }

  private receive(msg: Msg): void {
    const waiter = this.pending.get(msg.subject);
    if (!waiter) return;
    if (msg.headers?.code === 503) return this.settle(msg.subject, waiter, () => waiter.reject(Object.assign(new Error('no responders'), { code: '503' })));
    let whole: Uint8Array | undefined;
    try {
      whole = (waiter.parts ??= new PartsAssembler()).add(msg);
    } catch (err) {
      return this.settle(msg.subject, waiter, () => waiter.reject(err as Error));
    }
    if (whole) return this.settle(msg.subject, waiter, () => waiter.resolve(whole));
    waiter.timer.refresh();
  }

  private settle(reply: string, waiter: Waiter, done: () => void): void {
    this.pending.delete(reply);
    clearTimeout(waiter.timer);
    done();
  }

  request(subject: string, data: Uint8Array, timeoutMs: number, headers?: MsgHdrs): Promise<Uint8Array> {
    const reply = this.prefix + (++this.seq).toString(36);
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reply);
        reject(Object.assign(new Error('timed out'), { code: 'TIMEOUT' }));
      }, timeoutMs);
      this.pending.set(reply, { resolve, reject, timer });
      try {
        this.nc.publish(subject, data, headers ? { reply, headers } : { reply });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(reply);
        reject(err as Error);
      }
    });
  }
}

/**
 * A request larger than one NATS message: the subject is asked to open an upload (any replica
 * may take it) and names a subject of that replica's; the parts go there one at a time, each
 * acknowledged before the next (flow control); the last part's reply is the answer
 * (libs/runtime request-parts.ts).
 */
async function requestInParts(inbox: ReplyInbox, subject: string, message: Buffer, maxPayload: number, timeoutMs: number): Promise<Uint8Array> {
  const opened = decodeMessage(await inbox.request(subject, encodeMessage({ pattern: subject, upload: message.length }), timeoutMs)) as { upload?: unknown; err?: unknown };
  if (typeof opened?.upload !== 'string') throw new Error(typeof opened?.err === 'string' ? opened.err : 'the service takes no request this large');
  const parts = messageParts(message, maxPayload);
  for (let i = 0; i < parts.length - 1; i++) {
    const ack = decodeMessage(await inbox.request(opened.upload, parts[i].data, timeoutMs, parts[i].headers)) as { more?: unknown; err?: unknown };
    if (ack?.more !== true) throw new Error(typeof ack?.err === 'string' ? ack.err : 'the upload was refused');
  }
  const last = parts[parts.length - 1];
  return inbox.request(opened.upload, last.data, timeoutMs, last.headers);
}

const inboxes = new WeakMap<NatsConnection, ReplyInbox>();
function inboxOf(nc: NatsConnection, inboxPrefix: string | undefined): ReplyInbox {
  let inbox = inboxes.get(nc);
  if (!inbox) inboxes.set(nc, (inbox = new ReplyInbox(nc, inboxPrefix)));
  return inbox;
}
const decoder = new TextDecoder();

/**
 * A bus message's bytes: its JSON, with Buffer.from rather than TextEncoder. Small Buffers are
 * slices of Node's shared pool, while each TextEncoder result owns an ArrayBuffer that the next
 * young-generation GC has to sweep (at thousands of messages a second, most of the pause).
 */
export function encodeMessage(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** The JSON a bus message carries (throws on anything else). */
export function decodeMessage(data: Uint8Array): unknown {
  return JSON.parse(decoder.decode(data));
}

/**
 * Typed request/reply on NATS, speaking the wire format of Nest's NATS transport, which the
 * services answer (Nest microservices on @am/runtime NatsBusStrategy): `{pattern, data, id}` out,
 * `{response, isDisposed, id}` back. It sits on nats.js directly rather than on Nest's client
 * proxy, which costs an rxjs pipeline per request on the gateway's hot path. Replies are
 * envelopes: a value (checked against the contract) or a typed error, rethrown here as the
 * matching AmError.
 */
export class BusClient {
  constructor(
    /** The connection, or undefined while it is being (re)established. */
    private readonly connection: () => NatsConnection | undefined,
    private readonly defaultTimeoutMs = 5000,
    /** Where replies arrive (`_INBOX` by default); a restricted NATS user may only receive inside its own prefix. */
    private readonly inboxPrefix?: string,
  ) {}

  async request<C extends Contract<z.ZodType, z.ZodType>>(c: C, payload: RequestOf<C>, timeoutMs = this.defaultTimeoutMs): Promise<ReplyOf<C>> {
    const body = checkedRequest(c, payload);
    const nc = this.connection();
    if (!nc || nc.isClosed()) throw new BusUnavailableError(c.subject, 'not connected to NATS');
    let packet: { err?: unknown; response?: unknown };
    try {
      const message = encodeMessage({ pattern: c.subject, data: body, id: randomUUID() });
      const inbox = inboxOf(nc, this.inboxPrefix);
      const maxPayload = nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
      const data = message.length <= maxPayload ? await inbox.request(c.subject, message, timeoutMs) : await requestInParts(inbox, c.subject, message, maxPayload, timeoutMs);
      packet = decodeMessage(data) as typeof packet;
    } catch (err) {
      throw new BusUnavailableError(c.subject, describe(err), (err as { code?: string }).code === '503');
    }
    if (packet.err !== undefined && packet.err !== null) throw new BusContractError(c.subject, 'the handler failed outside its envelope');
    return openEnvelope(c, packet.response);
  }

  /** Publishes a domain event in the Nest event format (`{pattern, data}`); nobody answers. */
  emit(subject: string, data: unknown): void {
    const nc = this.connection();
    if (!nc || nc.isClosed()) throw new BusUnavailableError(subject, 'not connected to NATS');
    nc.publish(subject, encodeMessage({ pattern: subject, data }));
  }
}

/** The reply inside an answer's envelope, checked against the contract; a typed error is rethrown as its AmError. */
export function openEnvelope<C extends Contract<z.ZodType, z.ZodType>>(c: C, response: unknown): ReplyOf<C> {
  const envelope = anyEnvelope.safeParse(response);
  if (!envelope.success) throw new BusContractError(c.subject, describeIssues(envelope.error));
  const parsed = c.reply.safeParse(unwrapEnvelope(envelope.data as Envelope<unknown>));
  if (!parsed.success) throw new BusContractError(c.subject, describeIssues(parsed.error));
  return parsed.data as ReplyOf<C>;
}

/**
 * The request as the contract defines it. What fails here came from the caller (an HTTP body, a
 * bearer token): a credential out of shape is unauthenticated, anything else an invalid argument.
 */
export function checkedRequest<C extends Contract<z.ZodType, z.ZodType>>(c: C, payload: RequestOf<C>): unknown {
  const parsed = c.request.safeParse(payload);
  if (parsed.success) return parsed.data;
  if (parsed.error.issues.some((i) => i.path[0] === 'credential')) throw new UnauthenticatedError('invalid credential');
  throw new InvalidArgumentError(`invalid request: ${describeIssues(parsed.error)}`);
}

function describe(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === '503') return 'no service is listening';
  if (code === 'TIMEOUT' || (err as Error).name === 'TimeoutError') return 'timed out';
  if (err instanceof Error) return err.message;
  return String(err);
}
