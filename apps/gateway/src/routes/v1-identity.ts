import {
  createDelegationContract,
  CredentialClaimsView,
  extendDelegationContract,
  IssuedCredential,
  jwksContract,
  Jwk,
  validateCredentialContract,
  vouchContract,
  type BusClient,
} from '@am/bus';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { answer, route, type RouteSpec } from '../http/route';

const Delegation = z.object({ credential: z.string(), principal: z.string(), dataset: z.string(), roles: z.array(z.string()), expiresAt: z.number().int(), revision: z.number().int() });

/** Credentials on the v1 API: vouch, validate, delegation. The identity service issues and checks. */
export function v1IdentityRoutes(bus: BusClient): RouteSpec[] {
  return [
    route({
      method: 'POST',
      url: '/v1/credentials/vouch',
      summary: 'A login credential for a principal the caller may vouch for (View + VouchFor)',
      tag: 'credentials',
      body: z.strictObject({ principal: z.string() }),
      response: IssuedCredential,
      errors: [400, 401, 403, 404, 503],
      auth: true,
      async handle({ body, credential }) {
        return answer(await bus.request(vouchContract, { credential: credential!, principal: body.principal }));
      },
    }),
    route({
      method: 'POST',
      url: '/v1/credentials/validate',
      summary: 'Check a credential: signature, key, times, issuer and audience; shows its claims (and delegated roles)',
      tag: 'credentials',
      body: z.strictObject({ credential: z.string().max(65_536), accept: z.enum(['login', 'delegation', 'any']).optional() }),
      response: z.object({ valid: z.boolean(), message: z.string(), kind: z.enum(['login', 'delegation']).optional(), claims: CredentialClaimsView.optional() }),
      errors: [400, 503],
      auth: false,
      async handle({ body }) {
        const { valid, message, kind, claims } = await bus.request(validateCredentialContract, { credential: body.credential, accept: body.accept ?? 'any' });
        return { body: { valid, message, kind, claims } };
      },
    }),
    route({
      method: 'POST',
      url: '/v1/credentials/delegation',
      summary: "A delegation credential from a dataset's delegated attributes (optionally filtered); with `delegation`, extends one",
      tag: 'credentials',
      body: z.strictObject({ dataset: z.string(), attributes: z.array(z.string()).max(256).optional(), delegation: z.string().max(8192).optional() }),
      response: Delegation,
      errors: [400, 401, 403, 404, 409, 503],
      auth: true,
      async handle({ body, credential }) {
        const r = body.delegation
          ? await bus.request(extendDelegationContract, { credential: credential!, delegation: body.delegation, dataset: body.dataset, attributes: body.attributes })
          : await bus.request(createDelegationContract, { credential: credential!, dataset: body.dataset, attributes: body.attributes });
        return answer(r);
      },
    }),
  ];
}

/** The published signing keys as a JWKS (kid = key expiry). Public, cacheable for a minute. */
export function registerJwks(app: FastifyInstance, bus: BusClient): void {
  app.get('/.well-known/jwks.json', async (_req, reply) => {
    const { keys } = await bus.request(jwksContract, {});
    return reply.header('cache-control', 'public, max-age=60').send({ keys: keys.map((k) => Jwk.parse(k)) });
  });
}
