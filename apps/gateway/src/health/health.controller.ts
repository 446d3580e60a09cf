import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { READINESS } from '../tokens';
import type { Readiness } from './readiness';

@Controller()
export class HealthController {
  constructor(@Inject(READINESS) private readonly probe: () => Promise<Readiness>) {}

  /** Liveness: the process serves HTTP. Says nothing about dependencies. */
  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  /** Readiness: 200 only when etcd, NATS and every backend service answer; else 503 naming what is down. */
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) reply: FastifyReply) {
    const r = await this.probe();
    if (!r.ready) {
      reply.status(503).header('retry-after', '1');
      return { status: 'unavailable', down: r.down, checks: r.checks, ...(r.ignoredRecords ? { ignoredRecords: r.ignoredRecords } : {}) };
    }
    return { status: 'ready', checks: r.checks, ...(r.ignoredRecords ? { ignoredRecords: r.ignoredRecords } : {}) };
  }
}
