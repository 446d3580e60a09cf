import { decodeMessage, DEFAULT_MAX_PAYLOAD, encodeMessage, INTERNAL_ERROR_ENVELOPE, messageParts, ReplyStreams, streamBodyOf } from '@am/bus';
import type { Msg, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { DropWarnings } from './drop-warnings';
import { RequestParts } from './request-parts';

export interface BusServer {
  /** Stops taking requests, answers those already taken, then closes the connection. */
  close(): Promise<void>;
}

/**
 * A reply subject we answer on: an inbox (`_INBOX.` and plain tokens, no wildcards). Every client of
 * ours asks on one (the services on `_INBOX.<nuid>`, plugins on `_INBOX.plugin.<user>.<nuid>`); a
 * request naming any other reply subject is an attempt to make this service publish its answer
 * somewhere else (an event subject, another service's request subject) and is dropped.
 */
const REPLY_INBOX = /^_INBOX(\.[A-Za-z0-9_-]+)+$/;
export function isReplyInbox(reply: string): boolean {
  return REPLY_INBOX.test(reply);
}

/** Told of every request dropped because of its reply subject (a metric). */
export type OnDropped = (subject: string) => void;

/** One subject answered: `answer` turns a request's data into the reply envelope. */
export interface BusEndpoint {
  subject: string;
  answer(data: unknown): Promise<unknown>;
}

/**
 * Answers each endpoint's subject on `nc`, in the queue group `queue` (replicas of a service split
 * the requests), in the wire format BusClient speaks — Nest's NATS transport's: `{pattern, data,
 * id}` in, `{response, isDisposed, id}` back. The Nest transport strategy (NatsBusStrategy) runs
 * it for the @MessagePattern handlers Nest registered. It stands in for Nest's own NATS server,
 * which for every message threw and caught a SyntaxError (it JSON.parses the subject as a pattern)
 * and ran an rxjs pipeline: policy's CPU time per vouch went from ~40 to ~25 µs without it.
 */
export async function serveBus(nc: NatsConnection, queue: string, endpoints: readonly BusEndpoint[], log: Logger, onDropped: OnDropped = () => undefined): Promise<BusServer> {
  // A count, not a set of promises: a long-lived Set that gains and loses an entry per request
  // keeps rebuilding its table in V8's old generation (garbage only a major GC collects).
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const finished = () => {
    if (--inFlight === 0) drained?.();
  };
  let closing: Promise<void> | undefined;
  const warnings = new DropWarnings(log);
  const dropped = (subject: string, reply: string) => {
    onDropped(subject);
    warnings.dropped(subject, reply);
  };
  const uploads = new RequestParts<BusEndpoint>(queue);
  const streams = new ReplyStreams(queue);
  const ctx: AnswerContext = { nc, log, dropped, uploads, streams, maxPayload: () => nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD };
  const subscriptions = endpoints.map((e) =>
    nc.subscribe(e.subject, {
      queue,
      callback: (err, msg) => {
        if (err) return log.error({ err, subject: e.subject }, 'bus subscription failed');
        inFlight++;
        void answer(e, msg, ctx).finally(finished);
      },
    }),
  );
  // This instance's own subject for the parts of large requests it agreed to take (no queue: they are for it).
  subscriptions.push(
    nc.subscribe(`${uploads.prefix}.*`, {
      callback: (err, msg) => {
        if (err) return log.error({ err, subject: uploads.prefix }, 'bus subscription failed');
        inFlight++;
        void answerPart(msg, ctx).finally(finished);
      },
    }),
  );
  // And the acknowledgements of the answers it streams (reply-stream.ts).
  subscriptions.push(nc.subscribe(`${streams.prefix}.*`, { callback: (err, msg) => (err ? log.error({ err, subject: streams.prefix }, 'bus subscription failed') : streams.ack(msg)) }));
  void logStatus(nc, log);
  // Once NATS has the subscriptions, a request sent after start-up reaches a handler.
  try {
    await nc.flush();
  } catch (err) {
    await nc.close();
    throw err;
  }
  return {
    // Once: every caller waits for the same drain.
    close() {
      closing ??= (async () => {
        await Promise.allSettled(subscriptions.map((s) => s.drain()));
        if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
        await nc.drain().catch(() => nc.close());
      })();
      return closing;
    },
  };
}

interface AnswerContext {
  nc: NatsConnection;
  log: Logger;
  dropped: (subject: string, reply: string) => void;
  uploads: RequestParts<BusEndpoint>;
  streams: ReplyStreams;
  maxPayload: () => number;
}

/** Whether `msg` may be answered: it waits for an answer, on an inbox (else dropped and counted). */
function answerable(subject: string, msg: Msg, ctx: AnswerContext): boolean {
  // Nobody waits for an answer (a request always names its reply inbox): nothing to do.
  if (!msg.reply) return false;
  if (isReplyInbox(msg.reply)) return true;
  ctx.dropped(subject, msg.reply);
  return false;
}

async function answer(e: BusEndpoint, msg: Msg, ctx: AnswerContext): Promise<void> {
  if (!answerable(e.subject, msg, ctx)) return;
  const packet = decodePacket(msg.data);
  // A request too large for one message: open an upload on this instance (request-parts.ts).
  if (packet !== null && typeof packet === 'object' && 'upload' in packet) return respond(e.subject, msg, ctx.uploads.begin(e, packet.upload), ctx);
  return answerPacket(e, msg, packet, ctx);
}

/** One part of a large request; the last one is answered with the request's reply. */
async function answerPart(msg: Msg, ctx: AnswerContext): Promise<void> {
  if (!answerable(ctx.uploads.prefix, msg, ctx)) return;
  const step = ctx.uploads.add(msg);
  if ('more' in step) return respond(ctx.uploads.prefix, msg, { more: true }, ctx);
  if ('err' in step) return respond(ctx.uploads.prefix, msg, step, ctx);
  return answerPacket(step.endpoint, msg, decodePacket(step.done), ctx);
}

type Packet = { data?: unknown; id?: unknown; upload?: unknown } | null;

/** A request's `{pattern, data, id}` (or an upload's `{pattern, upload}`); null when it is not JSON. */
function decodePacket(data: Uint8Array): Packet {
  try {
    return decodeMessage(data) as Packet;
  } catch {
    return null;
  }
}

async function answerPacket(e: BusEndpoint, msg: Msg, packet: Packet, ctx: AnswerContext): Promise<void> {
  if (packet === null || typeof packet !== 'object') return respond(e.subject, msg, { err: 'malformed request', isDisposed: true }, ctx);
  const response = await envelope(e, packet.data, ctx.log);
  const body = streamBodyOf(response);
  if (!body) return respond(e.subject, msg, { response, isDisposed: true, id: packet.id }, ctx, packet.id);
  // A streamed answer: the head (the envelope, its body left out), then the body (reply-stream.ts).
  const outcome = await ctx.streams.send(ctx.nc, msg.reply!, encodeMessage({ response, isDisposed: false, id: packet.id }), body, ctx.maxPayload());
  if ('failed' in outcome) ctx.log.error({ err: outcome.failed, subject: e.subject, chunks: outcome.sent }, 'streamed answer failed midway');
  else if ('abandoned' in outcome) ctx.log.info({ subject: e.subject, chunks: outcome.sent, why: outcome.abandoned }, 'streamed answer abandoned');
}

function respond(subject: string, msg: Msg, reply: unknown, ctx: AnswerContext, id?: unknown): void {
  try {
    // Larger than one message: in parts (message-parts.ts), published in order to the one inbox.
    for (const part of messageParts(encodeMessage(reply), ctx.maxPayload())) msg.respond(part.data, part.headers ? { headers: part.headers } : undefined);
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message, subject }, 'reply not sent');
    // A reply NATS refused (over its payload limit, say) would leave the caller waiting out its
    // timeout: say "internal" at once instead, if NATS takes that.
    try {
      msg.respond(encodeMessage({ response: INTERNAL_ERROR_ENVELOPE, isDisposed: true, id }));
    } catch {
      // The connection itself is gone; the caller's timeout tells it so.
    }
  }
}

/** Handlers answer with envelopes and never throw; should one break anyway, the caller still gets "internal". */
async function envelope(e: BusEndpoint, data: unknown, log: Logger): Promise<unknown> {
  try {
    return await e.answer(data);
  } catch (err) {
    log.error({ err, subject: e.subject }, 'handler failed unexpectedly');
    return INTERNAL_ERROR_ENVELOPE;
  }
}

/** Connection trouble in the service log (Nest's server logged it too). */
async function logStatus(nc: NatsConnection, log: Logger): Promise<void> {
  for await (const s of nc.status()) {
    if (s.type === 'disconnect' || s.type === 'error') log.warn({ nats: s.type, data: String(s.data) }, 'NATS connection trouble');
    else if (s.type === 'reconnect') log.info({ nats: s.type, data: String(s.data) }, 'NATS reconnected');
  }
}
