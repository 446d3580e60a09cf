import { ERROR_CODES, errorFromCode, InternalError, InvalidArgumentError, isAmError, type AmError, type ErrorCode } from '@am/model';
import { z } from 'zod';
import { isStreamed, type Contract, type StreamedContract } from './contracts/core';

/**
 * What travels back on the bus: the contract's reply, or a typed error. Errors are data, not
 * transport failures, so the caller can tell "not found" from "nobody answered".
 */
export const ErrorBody = z.object({ code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]), message: z.string(), field: z.string().optional() });
export type ErrorBody = z.infer<typeof ErrorBody>;
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

/** The one answer for an unexpected failure: its details stay in the service's log. */
export const INTERNAL_ERROR_ENVELOPE: Envelope<never> = { ok: false, error: { code: 'internal', message: 'internal error' } };

export const envelopeSchema = <T extends z.ZodType>(value: T) =>
  z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), value }), z.object({ ok: z.literal(false), error: ErrorBody })]);

/** A handler for one contract: receives the validated request, returns the reply or throws an AmError. */
export interface BusHandler<C extends Contract<z.ZodType, z.ZodType> = Contract<z.ZodType, z.ZodType>> {
  contract: C;
  handle(request: z.output<C['request']>): Promise<unknown> | unknown;
}

export function handler<C extends Contract<z.ZodType, z.ZodType>>(contract: C, handle: (request: z.output<C['request']>) => Promise<z.input<C['reply']>> | z.input<C['reply']>): BusHandler {
  return { contract, handle };
}

/** The body of a streamed reply: text or bytes, produced as the consumer takes them. */
export type StreamBody = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

/** A handler for a streamed contract: the head (the contract's reply) and the body that follows it. */
export function streamHandler<C extends StreamedContract<z.ZodType, z.ZodType>>(
  contract: C,
  handle: (request: z.output<C['request']>) => Promise<{ head: z.input<C['reply']>; body: StreamBody }>,
): BusHandler {
  return { contract, handle };
}

/**
 * Where runHandler leaves a streamed reply's body on its envelope: a symbol, so the envelope
 * still serializes as the head alone (JSON.stringify skips symbol keys) and the bus server
 * (libs/runtime) finds the body to stream after it.
 */
const STREAM_BODY = Symbol('stream body');

export function streamBodyOf(envelope: unknown): StreamBody | undefined {
  return (envelope as { [STREAM_BODY]?: StreamBody } | null)?.[STREAM_BODY];
}

/** Describes zod issues in one line: `path.to.field: message; ...`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/**
 * Runs a handler on a raw message: validates the request (a bad one is invalid-argument),
 * validates the reply (a bad one is a bug, reported as internal), and turns thrown errors into
 * the error envelope. `onInternal` sees unexpected errors, which never leave the service.
 */
export async function runHandler(h: BusHandler, raw: unknown, onInternal: (err: unknown) => void): Promise<Envelope<unknown>> {
  try {
    const request = h.contract.request.safeParse(raw);
    if (!request.success) throw new InvalidArgumentError(`invalid request: ${describeIssues(request.error)}`);
    const result = await h.handle(request.data);
    const stream = isStreamed(h.contract) ? (result as { head: unknown; body: StreamBody }) : undefined;
    const reply = h.contract.reply.safeParse(stream ? stream.head : result);
    if (!reply.success) throw new InternalError(`${h.contract.subject} produced a reply outside its contract: ${describeIssues(reply.error)}`);
    return stream ? Object.assign({ ok: true as const, value: reply.data }, { [STREAM_BODY]: stream.body }) : { ok: true, value: reply.data };
  } catch (err) {
    if (isAmError(err) && err.code !== 'internal') return { ok: false, error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } };
    onInternal(err);
    return INTERNAL_ERROR_ENVELOPE;
  }
}

export function unwrapEnvelope(envelope: Envelope<unknown>): unknown {
  if (envelope.ok) return envelope.value;
  throw errorFromCode(envelope.error.code, envelope.error.message, envelope.error.field) as AmError;
}
