import { InternalError, InvalidArgumentError, UnauthenticatedError, UnavailableError } from '@am/model';
import { randomUUID } from 'node:crypto';
import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from 'nats';
import { z } from 'zod';
import { isStreamed, type Contract, type ReplyOf, type RequestOf, type StreamedContract } from './contracts/core';
import { describeIssues, envelopeSchema, unwrapEnvelope, type Envelope } from './envelope';
import { DEFAULT_MAX_PAYLOAD, PartsAssembler, messageParts } from './message-parts';
import { isInstanceSubject, STREAM_HEADER, StreamReader } from './reply-stream';

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

/** An answer: its message, and the stream of its body when the answer is streamed (reply-stream.ts). */
interface Answer {
  data: Uint8Array;
  stream?: StreamReader;
}

interface Waiter {
  resolve(answer: Answer): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  /** Set once the first part of a reply in parts (message-parts.ts) has arrived. */
  parts?: PartsAssembler;
  /** The subject asked, when the answer may be streamed (its acknowledgement subject must belong to that service). */
  streamOf?: string;
  /** Set once a streamed answer's head has arrived: the rest of the messages are its body. */
  stream?: StreamReader;
}

/**
 * Replies for one connection arrive on one wildcard inbox subscription, matched to their request
 * by subject. (nats.js's own request() allocates an Error per call even on success, which shows up
 * in the gateway's profile.) A 503 status reply means nobody listens on the subject. A reply in
 * parts is joined here; each part restarts the timeout (the wait is for silence, not for size). A
 * streamed answer's messages after its head go to its StreamReader until the stream closes.
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
    if (waiter.stream) return waiter.stream.receive(msg);
    if (msg.headers?.code === 503) return this.settle(msg.subject, waiter, () => waiter.reject(Object.assign(new Error('no responders'), { code: '503' })));
    const ack = waiter.streamOf !== undefined ? msg.headers?.get(STREAM_HEADER) : undefined;
    if (ack) return this.openStream(msg, waiter, ack);
    let whole: Uint8Array | undefined;
    try {
      whole = (waiter.parts ??= new PartsAssembler()).add(msg);
    } catch (err) {
      return this.settle(msg.subject, waiter, () => waiter.reject(err as Error));
    }
    if (whole) return this.settle(msg.subject, waiter, () => waiter.resolve({ data: whole }));
    waiter.timer.refresh();
  }

  /** The head of a streamed answer: the waiter stays, for the body, until its reader closes. */
  private openStream(msg: Msg, waiter: Waiter, ack: string): void {
    if (!isInstanceSubject(ack, waiter.streamOf!, 'stream')) {
      return this.settle(msg.subject, waiter, () => waiter.reject(new Error(`the answer named ${JSON.stringify(ack)} for its acknowledgements, outside the service asked`)));
    }
    clearTimeout(waiter.timer);
    waiter.stream = new StreamReader(this.nc, ack, () => this.pending.delete(msg.subject));
    waiter.resolve({ data: msg.data, stream: waiter.stream });
  }

  private settle(reply: string, waiter: Waiter, done: () => void): void {
    this.pending.delete(reply);
    clearTimeout(waiter.timer);
    done();
  }

  /** `streamOf`: the answer may be streamed (the subject asked, whose service must own the stream). */
  request(subject: string, data: Uint8Array, timeoutMs: number, headers?: MsgHdrs, streamOf?: string): Promise<Answer> {
    const reply = this.prefix + (++this.seq).toString(36);
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reply);
        reject(Object.assign(new Error('timed out'), { code: 'TIMEOUT' }));
      }, timeoutMs);
      this.pending.set(reply, { resolve, reject, timer, streamOf });
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
async function requestInParts(inbox: ReplyInbox, subject: string, message: Buffer, maxPayload: number, timeoutMs: number, streamed: boolean): Promise<Answer> {
  const opened = decodeMessage((await inbox.request(subject, encodeMessage({ pattern: subject, upload: message.length }), timeoutMs)).data) as { upload?: unknown; err?: unknown };
  if (typeof opened?.upload !== 'string') throw new Error(typeof opened?.err === 'string' ? opened.err : 'the service takes no request this large');
  // Only a subject of the service asked: an answer must not make us publish anywhere else.
  if (!isInstanceSubject(opened.upload, subject, 'upload')) throw new Error('the service named an upload subject outside itself');
  const parts = messageParts(message, maxPayload);
  for (let i = 0; i < parts.length - 1; i++) {
    const ack = decodeMessage((await inbox.request(opened.upload, parts[i].data, timeoutMs, parts[i].headers)).data) as { more?: unknown; err?: unknown };
    if (ack?.more !== true) throw new Error(typeof ack?.err === 'string' ? ack.err : 'the upload was refused');
  }
  const last = parts[parts.length - 1];
  return inbox.request(opened.upload, last.data, timeoutMs, last.headers, streamed ? subject : undefined);
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
    // Its head alone would look like the whole answer, and the body would wait unread.
    if (isStreamed(c)) throw new InternalError(`${c.subject} streams its answer: use BusClient.stream`);
    return (await this.ask(c, payload, timeoutMs, false)).reply;
  }

  /**
   * A streamed contract's answer: its head, and its body as it arrives (reply-stream.ts). Iterate
   * the body to the end, or stop early (which cancels the stream); its chunks are acknowledged as
   * they are taken, so a slow consumer slows the producer. `timeoutMs` bounds the wait for the head.
   */
  async stream<C extends StreamedContract<z.ZodType, z.ZodType>>(c: C, payload: RequestOf<C>, timeoutMs = this.defaultTimeoutMs): Promise<{ head: ReplyOf<C>; body: AsyncIterable<Buffer> }> {
    const { reply, stream } = await this.ask(c, payload, timeoutMs, true);
    if (!stream) throw new BusContractError(c.subject, 'the answer was not streamed');
    return { head: reply, body: stream.chunks() };
  }

  private async ask<C extends Contract<z.ZodType, z.ZodType>>(c: C, payload: RequestOf<C>, timeoutMs: number, streamed: boolean): Promise<{ reply: ReplyOf<C>; stream?: StreamReader }> {
    const body = checkedRequest(c, payload);
    const nc = this.connection();
    if (!nc || nc.isClosed()) throw new BusUnavailableError(c.subject, 'not connected to NATS');
    let packet: { err?: unknown; response?: unknown };
    let answer: Answer;
    try {
      const message = encodeMessage({ pattern: c.subject, data: body, id: randomUUID() });
      const inbox = inboxOf(nc, this.inboxPrefix);
      const maxPayload = nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
      answer =
        message.length <= maxPayload
          ? await inbox.request(c.subject, message, timeoutMs, undefined, streamed ? c.subject : undefined)
          : await requestInParts(inbox, c.subject, message, maxPayload, timeoutMs, streamed);
      packet = decodeMessage(answer.data) as typeof packet;
    } catch (err) {
      throw new BusUnavailableError(c.subject, describe(err), (err as { code?: string }).code === '503');
    }
    try {
      if (packet.err !== undefined && packet.err !== null) throw new BusContractError(c.subject, 'the handler failed outside its envelope');
      return { reply: openEnvelope(c, packet.response), stream: answer.stream };
    } catch (err) {
      // Nobody will read the body of an answer refused here.
      answer.stream?.abandon();
      throw err;
    }
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
