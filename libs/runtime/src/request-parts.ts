import { instanceSubjectPrefix, MAX_MESSAGE_BYTES, PartsAssembler } from '@am/bus';
import { randomBytes } from 'node:crypto';
import type { Msg } from 'nats';

/** Requests in parts open at once per service instance; more are refused until one ends. */
const MAX_OPEN = 4;
/** An upload that hears nothing for this long is dropped. */
const IDLE_MS = 30_000;

interface Upload<E> {
  endpoint: E;
  parts: PartsAssembler;
  timer: NodeJS.Timeout;
}

/**
 * Requests larger than one NATS message (BusClient sends them so, message-parts.ts): the client asks
 * the request subject, as any request, to open an upload and names its size; the instance that
 * took it answers with a subject of its own (`am.<service>.upload.<instance>.<id>`, inside what
 * the callers may already publish), and the client sends the parts there one at a time, each
 * acknowledged (the flow control: one part in flight). The last part's reply is the answer.
 * Bounded: a size limit, a few uploads at once, and an idle timeout.
 */
export class RequestParts<E> {
  readonly prefix: string;
  private readonly open = new Map<string, Upload<E>>();

  constructor(service: string) {
    this.prefix = `${instanceSubjectPrefix(service, 'upload')}${randomBytes(8).toString('hex')}`;
  }

  /** The subject to send parts to, or why not. */
  begin(endpoint: E, size: unknown): { upload: string } | { err: string } {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) return { err: 'malformed upload' };
    if (size > MAX_MESSAGE_BYTES) return { err: `the request is larger than ${MAX_MESSAGE_BYTES / (1024 * 1024)} MiB` };
    if (this.open.size >= MAX_OPEN) return { err: 'too many large requests at once; try again' };
    const id = randomBytes(12).toString('hex');
    const timer = setTimeout(() => this.open.delete(id), IDLE_MS);
    timer.unref();
    this.open.set(id, { endpoint, parts: new PartsAssembler(), timer });
    return { upload: `${this.prefix}.${id}` };
  }

  /**
   * One part: `more` while parts are missing, `done` with the whole request on the last, or
   * `err` (unknown or expired upload, a part out of order, too large) which ends the upload.
   */
  add(msg: Msg): { more: true } | { done: Uint8Array; endpoint: E } | { err: string } {
    const id = msg.subject.slice(this.prefix.length + 1);
    const upload = this.open.get(id);
    if (!upload) return { err: 'no such upload (expired, or never opened)' };
    let whole: Uint8Array | undefined;
    try {
      whole = upload.parts.add(msg);
    } catch (err) {
      this.end(id, upload);
      return { err: (err as Error).message };
    }
    if (!whole) {
      upload.timer.refresh();
      return { more: true };
    }
    this.end(id, upload);
    return { done: whole, endpoint: upload.endpoint };
  }

  private end(id: string, upload: Upload<E>): void {
    clearTimeout(upload.timer);
    this.open.delete(id);
  }
}
