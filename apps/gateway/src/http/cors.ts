import type { FastifyInstance } from 'fastify';

/**
 * CORS as the reference answers it (compat-rest §4), limited to configured origins (Decision):
 * an allowed Origin is echoed back; a preflight is answered 200 with the allowed headers/methods.
 */
export function registerCors(app: FastifyInstance, allowed: readonly string[]): void {
  if (allowed.length === 0) return;
  const any = allowed.includes('*');
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || !(any || allowed.includes(origin))) return;
    reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      return reply
        .status(200)
        .header('access-control-allow-headers', 'Content-Type,Accept,Authorization,AM-Consistency')
        .header('access-control-allow-methods', 'GET,HEAD,POST,PUT,DELETE')
        .header('access-control-expose-headers', 'AM-Revision')
        .send();
    }
  });
}
