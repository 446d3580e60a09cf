import { z } from 'zod';

/**
 * Every NATS subject the services use, with its request and reply schema, declared once here.
 * Services handle `subject`; callers use `BusClient.request(contract, ...)`, which validates both
 * directions, so a malformed message is rejected at the edge of the service that receives it.
 */
export interface Contract<Req extends z.ZodType, Res extends z.ZodType> {
  subject: string;
  request: Req;
  reply: Res;
}

export function contract<Req extends z.ZodType, Res extends z.ZodType>(subject: string, request: Req, reply: Res): Contract<Req, Res> {
  return { subject, request, reply };
}

/**
 * A contract whose requests may also travel together: up to MAX_BATCH_ITEMS of them (and
 * MAX_BATCH_BYTES) as one request on `batchSubject`, each answered as if it had come alone (batch.ts). A service that
 * handles the contract answers the batch subject too; callers opt in with a RequestBatcher.
 */
export interface BatchableContract<Req extends z.ZodType, Res extends z.ZodType> extends Contract<Req, Res> {
  batchSubject: string;
}

export function batchable<Req extends z.ZodType, Res extends z.ZodType>(c: Contract<Req, Res>): BatchableContract<Req, Res> {
  return { ...c, batchSubject: `${c.subject}.batch` };
}

export function isBatchable<Req extends z.ZodType, Res extends z.ZodType>(c: Contract<Req, Res>): c is BatchableContract<Req, Res> {
  return typeof (c as Partial<BatchableContract<Req, Res>>).batchSubject === 'string';
}

/**
 * A contract whose reply (the head: small, checked like any reply) is followed by a body of any
 * size, streamed with flow control (reply-stream.ts): a whole-tree export. Callers use
 * BusClient.stream; handlers are streamHandler()s.
 */
export interface StreamedContract<Req extends z.ZodType, Res extends z.ZodType> extends Contract<Req, Res> {
  streamed: true;
}

export function streamed<Req extends z.ZodType, Res extends z.ZodType>(c: Contract<Req, Res>): StreamedContract<Req, Res> {
  return { ...c, streamed: true };
}

export function isStreamed<Req extends z.ZodType, Res extends z.ZodType>(c: Contract<Req, Res>): c is StreamedContract<Req, Res> {
  return (c as Partial<StreamedContract<Req, Res>>).streamed === true;
}

export type RequestOf<C> = C extends Contract<infer Req, z.ZodType> ? z.input<Req> : never;
export type ReplyOf<C> = C extends Contract<z.ZodType, infer Res> ? z.output<Res> : never;

/** The services behind the gateway. Each answers `am.<service>.health`. */
export const BACKEND_SERVICES = ['policy', 'identity', 'pki'] as const;
export type BackendService = (typeof BACKEND_SERVICES)[number];

export const CheckState = z.enum(['up', 'down']);
/** etcd records a service does not trust (planted or tampered): how many, and the first few keys. */
export const IgnoredRecordsSummary = z.object({ count: z.number().int().nonnegative(), keys: z.array(z.string()) });
export const HealthReply = z.object({
  service: z.string(),
  status: z.enum(['ok', 'degraded']),
  checks: z.record(z.string(), CheckState),
  ignoredRecords: IgnoredRecordsSummary.optional(),
});
export type HealthReply = z.infer<typeof HealthReply>;

export const healthContract = (service: BackendService) => contract(`am.${service}.health`, z.object({}).strict(), HealthReply);
