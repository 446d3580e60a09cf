import { headers, type Msg, type MsgHdrs } from 'nats';

/**
 * Messages larger than one NATS message (max_payload, 1 MiB by default) travel as parts: the
 * encoded message cut into pieces that each fit, published in order, each with headers naming its
 * index and the count. NATS keeps the order of one publisher's messages to one subscriber, so the
 * receiver joins them as they come. A reply in parts goes to the requester's inbox; a request in
 * parts to the replica that opened an upload for it (libs/runtime request-parts.ts). A message that
 * fits is sent as before, without headers.
 *
 * The whole message is held by both ends; MAX_MESSAGE_BYTES bounds what a receiver joins. Answers
 * of any size (an export) are streamed instead, with flow control (reply-stream.ts).
 */
export const PART_HEADER = 'Am-Part';
export const PARTS_HEADER = 'Am-Parts';
/** Room left in each part for the headers and NATS's framing. */
const HEADROOM = 4096;
/** NATS's default max_payload, when the connection has not said. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** The most a receiver joins from parts: beyond it the message is refused rather than buffered. */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** The most data one part may carry when a message may hold at most `maxPayload` bytes. */
export function partBytes(maxPayload: number): number {
  return Math.max(1024, maxPayload - HEADROOM);
}

/** The NATS messages that carry `data` when one may hold at most `maxPayload` bytes. */
export function messageParts(data: Uint8Array, maxPayload: number): { data: Uint8Array; headers?: MsgHdrs }[] {
  if (data.length <= maxPayload) return [{ data }];
  const size = partBytes(maxPayload);
  const count = Math.ceil(data.length / size);
  return Array.from({ length: count }, (_, i) => {
    const h = headers();
    h.set(PART_HEADER, String(i));
    h.set(PARTS_HEADER, String(count));
    return { data: data.subarray(i * size, (i + 1) * size), headers: h };
  });
}

/** Joins the parts of one message as they arrive; `add` returns the whole message once complete. */
export class PartsAssembler {
  private readonly parts: Uint8Array[] = [];
  private bytes = 0;

  /** The message when `msg` completes it (or is whole itself); throws on a part out of order or too much data. */
  add(msg: Pick<Msg, 'data' | 'headers'>): Uint8Array | undefined {
    const count = Number(msg.headers?.get(PARTS_HEADER) || 1);
    if (count <= 1 && this.parts.length === 0) return msg.data;
    const index = Number(msg.headers?.get(PART_HEADER));
    if (!Number.isSafeInteger(count) || index !== this.parts.length) throw new Error(`part ${index} of ${count} arrived out of order`);
    this.bytes += msg.data.length;
    if (this.bytes > MAX_MESSAGE_BYTES) throw new Error(`the message is larger than ${MAX_MESSAGE_BYTES / (1024 * 1024)} MiB`);
    this.parts.push(msg.data);
    return this.parts.length === count ? Buffer.concat(this.parts) : undefined;
  }
}
