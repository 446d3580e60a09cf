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

export type RequestOf<C> = C extends Contract<infer Req, z.ZodType> ? z.input<Req> : never;
export type ReplyOf<C> = C extends Contract<z.ZodType, infer Res> ? z.output<Res> : never;

/** The services behind the gateway. Each answers `am.<service>.health`. */
export const BACKEND_SERVICES = ['policy', 'identity', 'pki'] as const;
export type BackendService = (typeof BACKEND_SERVICES)[number];

export const CheckState = z.enum(['up', 'down']);
export const HealthReply = z.object({
  service: z.string(),
  status: z.enum(['ok', 'degraded']),
  checks: z.record(z.string(), CheckState),
});
export type HealthReply = z.infer<typeof HealthReply>;

export const healthContract = (service: BackendService) => contract(`am.${service}.health`, z.object({}).strict(), HealthReply);
