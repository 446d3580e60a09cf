import { ArgumentsHost, Catch, HttpException, NotFoundException, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { COMPAT_PATHS, gatewayError } from '../routes/compat';
import { problemFor, problemType } from './errors';
import { sendProblem } from './route';

const isV1 = (url: string) => url.startsWith('/v1/') || url === '/v1';

/**
 * Whatever no route answered: unknown routes, wrong methods, bodies that are not JSON or too large.
 * v1 callers get problem+json; everything else gets the reference gateway's error body (compat-rest
 * §3.3). Nothing reaches the caller as a stack trace.
 */
@Catch()
export class FallbackFilter implements ExceptionFilter {
  constructor(
    private readonly log: Logger,
    /** The body limit in bytes, named in the 413. */
    private readonly bodyLimit: number,
  ) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const path = req.url.split('?')[0];
    const status = err instanceof HttpException ? err.getStatus() : ((err as { statusCode?: number }).statusCode ?? 500);
    if (err instanceof NotFoundException || status === 404) {
      if (isV1(path)) return void sendProblem(reply, { ...problemFor('not-found', `no route ${req.method} ${path}`), type: problemType('route-not-found') });
      if (COMPAT_PATHS.some((p) => p.test(path))) return void reply.status(501).send(gatewayError(12, 'Method Not Allowed'));
      return void reply.status(404).send(gatewayError(5, 'Not Found'));
    }
    if (status === 413) {
      const detail = `the request body is larger than ${req.routeOptions?.bodyLimit ?? this.bodyLimit} bytes`;
      if (isV1(path)) return void sendProblem(reply, { type: problemType('payload-too-large'), title: 'Payload too large', status: 413, detail });
      return void reply.status(413).send(gatewayError(8, detail));
    }
    if (status >= 400 && status < 500) {
      const detail = (err as Error).message || 'bad request';
      if (isV1(path)) return void sendProblem(reply, { ...problemFor('invalid-argument', detail, 'body'), status });
      return void reply.status(status).send(gatewayError(3, detail));
    }
    this.log.error({ err }, 'unhandled gateway error');
    if (isV1(path)) return void sendProblem(reply, problemFor('internal', 'internal error'));
    reply.status(500).send(gatewayError(13, 'internal error'));
  }
}
