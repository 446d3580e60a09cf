import { randomBytes } from 'node:crypto';
import { headers, type Msg, type NatsConnection } from 'nats';
import { partBytes } from './message-parts';

/**
 * Answers of any size (a whole-tree export) travel as a stream with flow control. The server
 * answers the request's inbox with a head — the reply envelope, with the header Am-Stream naming
 * a subject of its own for acknowledgements — then the body in chunks (Am-Chunk: 0, 1, …), then
 * an end message (Am-End: the chunk count; `{}`, or `{"err": …}` when the body failed midway).
 * The requester acknowledges each chunk once its consumer has taken it (`{"acked": n}`), or
 * cancels (`{"cancel": true}`); the server keeps at most STREAM_WINDOW chunks unacknowledged, so
 * neither end holds more than the window whatever the size of the answer, and a slow HTTP client
 * slows the producer instead of filling memory. NATS keeps one publisher's order to one subscriber.
 */
export const STREAM_HEADER = 'Am-Stream';
export const CHUNK_HEADER = 'Am-Chunk';
export const END_HEADER = 'Am-End';
/** Chunks sent and not yet acknowledged, at most. */
export const STREAM_WINDOW = 8;
/** Bytes per chunk (less when the connection's max_payload is smaller). */
export const STREAM_CHUNK_BYTES = 256 * 1024;
/** A stream whose other end says nothing for this long is abandoned (both ends). */
export const STREAM_IDLE_MS = 120_000;

/**
 * Where a service instance takes messages meant for it alone (`am.<service>.<kind>.`): the parts
 * of a large request it agreed to take, the acknowledgements of the answers it streams. Inside
 * what its callers may already publish.
 */
export const instanceSubjectPrefix = (service: string, kind: 'stream' | 'upload') => `am.${service}.${kind}.`;

/**
 * Whether `subject` is one a reply may name for the requester to publish to: a literal subject
 * below instanceSubjectPrefix of the service asked, so that an answer can never make a caller
 * publish on an event or another service's subject.
 */
export function isInstanceSubject(subject: unknown, requestSubject: string, kind: 'stream' | 'upload'): subject is string {
  const service = requestSubject.split('.')[1];
  return typeof subject === 'string' && subject.startsWith(instanceSubjectPrefix(service, kind)) && /^[A-Za-z0-9_.-]+$/.test(subject) && !subject.includes('..');
}

/** Strings and bytes regrouped into chunks of exactly `size` bytes (the last one shorter). */
async function* rechunk(body: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let bytes = 0;
  for await (const piece of body) {
    const b = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    pending.push(b);
    bytes += b.length;
    if (bytes < size) continue;
    let all = Buffer.concat(pending);
    while (all.length >= size) {
      yield all.subarray(0, size);
      all = all.subarray(size);
    }
    pending = [all];
    bytes = all.length;
  }
  if (bytes > 0) yield Buffer.concat(pending);
}

interface Flow {
  acked: number;
  cancelled: boolean;
  wake?: () => void;
}

/** How a stream ended, for the server's log. */
export type StreamOutcome = { sent: number } | { sent: number; abandoned: string } | { sent: number; failed: unknown };

/** The sending end: the streams one service instance has open, and the subject their acknowledgements arrive on. */
export class ReplyStreams {
  /** `<prefix>.<id>` names one stream; subscribe to `<prefix>.*` and hand each message to `ack`. */
  readonly prefix: string;
  private readonly open = new Map<string, Flow>();

  constructor(service: string) {
    this.prefix = `${instanceSubjectPrefix(service, 'stream')}${randomBytes(8).toString('hex')}`;
  }

  /** Sends `head` then `body` to `reply`, paced by the requester's acknowledgements. */
  async send(nc: NatsConnection, reply: string, head: Uint8Array, body: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>, maxPayload: number): Promise<StreamOutcome> {
    const id = randomBytes(12).toString('hex');
    const flow: Flow = { acked: 0, cancelled: false };
    this.open.set(id, flow);
    const headHeaders = headers();
    headHeaders.set(STREAM_HEADER, `${this.prefix}.${id}`);
    let sent = 0;
    try {
      nc.publish(reply, head, { headers: headHeaders });
      for await (const chunk of rechunk(body, Math.min(STREAM_CHUNK_BYTES, partBytes(maxPayload)))) {
        while (sent - flow.acked >= STREAM_WINDOW && !flow.cancelled) {
          if (!(await acknowledged(flow))) return { sent, abandoned: `no acknowledgement for ${STREAM_IDLE_MS / 1000} s` };
        }
        if (flow.cancelled) return { sent, abandoned: 'cancelled by the requester' };
        const h = headers();
        h.set(CHUNK_HEADER, String(sent++));
        nc.publish(reply, chunk, { headers: h });
      }
      nc.publish(reply, Buffer.from('{}'), { headers: endHeaders(sent) });
      return { sent };
    } catch (failed) {
      // The requester must not take a cut-off body for a whole one: the end says it failed.
      try {
        nc.publish(reply, Buffer.from(JSON.stringify({ err: 'internal error' })), { headers: endHeaders(sent) });
      } catch {
        // The connection is gone; the requester's idle timeout tells it.
      }
      return { sent, failed };
    } finally {
      this.open.delete(id);
    }
  }

  /** An acknowledgement or a cancellation from a requester; anything else is ignored. */
  ack(msg: Pick<Msg, 'subject' | 'data'>): void {
    const flow = this.open.get(msg.subject.slice(this.prefix.length + 1));
    if (!flow) return;
    let said: { acked?: unknown; cancel?: unknown };
    try {
      said = JSON.parse(Buffer.from(msg.data).toString()) as typeof said;
    } catch {
      return;
    }
    if (said?.cancel === true) flow.cancelled = true;
    else if (typeof said?.acked === 'number' && Number.isSafeInteger(said.acked) && said.acked > flow.acked) flow.acked = said.acked;
    else return;
    flow.wake?.();
  }
}

function endHeaders(count: number) {
  const h = headers();
  h.set(END_HEADER, String(count));
  return h;
}

/** Waits for the next acknowledgement: false when none came within STREAM_IDLE_MS. */
function acknowledged(flow: Flow): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      flow.wake = undefined;
      resolve(false);
    }, STREAM_IDLE_MS);
    flow.wake = () => {
      clearTimeout(timer);
      flow.wake = undefined;
      resolve(true);
    };
  });
}

/**
 * The receiving end of one stream: chunks queue here as they arrive (at most the window) and
 * `chunks()` hands them over in order, acknowledging each as the consumer takes it. A consumer
 * that stops early cancels the stream. Fails on a gap, a failure the server reported, or silence.
 */
export class StreamReader {
  private readonly queue: Buffer[] = [];
  private expected = 0;
  private ended?: { error?: Error };
  private wake?: () => void;
  private closed = false;
  /** A body nobody starts reading is abandoned after the idle time, as one nobody finishes. */
  private readonly unclaimed: NodeJS.Timeout;

  constructor(
    private readonly nc: NatsConnection,
    private readonly ackSubject: string,
    private readonly onClose: () => void,
    private readonly idleMs = STREAM_IDLE_MS,
  ) {
    this.unclaimed = setTimeout(() => this.abandon(), idleMs);
    this.unclaimed.unref();
  }

  /** Stops the stream without reading (further): the server is told, the inbox forgets it. */
  abandon(): void {
    if (!this.ended) {
      this.cancel();
      this.finish();
    }
    this.close();
  }

  private close(): void {
    clearTimeout(this.unclaimed);
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }

  /** A message of the stream (from the requester's inbox). */
  receive(msg: Pick<Msg, 'data' | 'headers'>): void {
    if (this.ended) return;
    const end = msg.headers?.get(END_HEADER);
    if (end) {
      let err: unknown;
      try {
        err = (JSON.parse(Buffer.from(msg.data).toString()) as { err?: unknown }).err;
      } catch {
        err = 'malformed end of stream';
      }
      if (err !== undefined) this.finish(new Error(`the answer failed midway: ${String(err)}`));
      else if (Number(end) !== this.expected) this.finish(new Error(`the answer ended after ${this.expected} of ${end} chunks`));
      else this.finish();
    } else if (Number(msg.headers?.get(CHUNK_HEADER)) !== this.expected) {
      this.cancel();
      this.finish(new Error(`chunk ${msg.headers?.get(CHUNK_HEADER)} arrived out of order (expected ${this.expected})`));
    } else {
      this.expected++;
      this.queue.push(Buffer.from(msg.data));
    }
    this.wake?.();
  }

  async *chunks(): AsyncGenerator<Buffer> {
    clearTimeout(this.unclaimed);
    let taken = 0;
    try {
      for (;;) {
        const chunk = this.queue.shift();
        if (chunk) {
          yield chunk;
          // The consumer asked for more: it is done with this one.
          this.publish({ acked: ++taken });
          continue;
        }
        if (this.ended) {
          if (this.ended.error) throw this.ended.error;
          return;
        }
        await this.arrival();
      }
    } finally {
      this.abandon();
    }
  }

  private arrival(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.finish(new Error(`the answer stalled (nothing for ${this.idleMs / 1000} s)`)), this.idleMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private finish(error?: Error): void {
    this.ended ??= { error };
    this.wake?.();
  }

  private cancel(): void {
    this.publish({ cancel: true });
  }

  private publish(message: unknown): void {
    try {
      this.nc.publish(this.ackSubject, Buffer.from(JSON.stringify(message)));
    } catch {
      // Disconnected: the server abandons the stream after its idle timeout.
    }
  }
}

/** A streamed body read whole (for callers that need it so, such as tests): refused beyond `maxBytes`. */
export async function readWhole(body: AsyncIterable<Buffer>, maxBytes = 256 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > maxBytes) throw new Error(`the answer is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
