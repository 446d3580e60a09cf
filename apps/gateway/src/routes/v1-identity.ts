import {
  createDelegationContract,
  CredentialClaimsView,
  DelegationReply,
  extendDelegationContract,
  IssuedCredential,
  jwksContract,
  Jwk,
  validateCredentialContract,
  vouchContract,
  type BusClient,
} from '@am/bus';
import { delegationAceJsonSchema, UnauthenticatedError } from '@am/model';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { toProblem } from '../http/errors';
import { answer, route, sendProblem, type RouteSpec } from '../http/route';

/** Credentials on the v1 API: vouch, validate, delegation. The identity service issues and checks. */
export function v1IdentityRoutes(bus: BusClient): RouteSpec[] {
  return [
    route({
      method: 'POST',
      url: '/v1/credentials/vouch',
      summary: 'A login credential for a principal the caller may vouch for (View + VouchFor)',
      tag: 'credentials',
      body: z.strictObject({ principal: z.string().min(1) }),
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
      summary:
        'Check a credential: signature, key, times, issuer and audience; shows its claims (delegated roles, target and heritable ACEs). ' +
        'With `asTarget`, the caller is the consumer the delegation credential was presented to: valid only if its roles satisfy the target ACE',
      tag: 'credentials',
      body: z.strictObject({ credential: z.string().max(65_536), accept: z.enum(['login', 'delegation', 'any']).optional(), asTarget: z.boolean().optional() }),
      response: z.object({
        valid: z.boolean(),
        message: z.string(),
        kind: z.enum(['login', 'delegation']).optional(),
        claims: CredentialClaimsView.optional(),
        target: z.object({ principal: z.string(), satisfied: z.boolean() }).optional(),
      }),
      errors: [400, 401, 503],
      auth: false,
      async handle({ body, credential }) {
        if (body.asTarget && !credential) throw new UnauthenticatedError('asTarget: send your own credential as Authorization: Bearer <credential>');
        const presenter = body.asTarget ? { presenter: credential } : {};
        const r = await bus.request(validateCredentialContract, { credential: body.credential, accept: body.accept ?? 'any', ...presenter });
        const { valid, message, kind, claims, target } = r;
        return { body: { valid, message, kind, claims, target } };
      },
    }),
    route({
      method: 'POST',
      url: '/v1/credentials/delegation',
      summary:
        "A delegation credential from a dataset's delegated attributes (optionally filtered by `attributes` globs), with an optional " +
        '`targetAce` (who may present it) and `heritableAce` (kept by every extension); with `delegation`, extends that credential (never widening)',
      tag: 'credentials',
      body: z.strictObject({
        dataset: z.string().min(1),
        attributes: z.array(z.string().min(1).max(1024)).max(64).optional(),
        targetAce: delegationAceJsonSchema.optional(),
        heritableAce: delegationAceJsonSchema.optional(),
        delegation: z.string().max(8192).optional(),
      }),
      response: DelegationReply,
      errors: [400, 401, 403, 404, 409, 503],
      auth: true,
      async handle({ body, credential }) {
        const { delegation, ...request } = body;
        const r = delegation
          ? await bus.request(extendDelegationContract, { credential: credential!, delegation, ...request })
          : await bus.request(createDelegationContract, { credential: credential!, ...request });
        return answer(r);
      },
    }),
  ];
}

/** The published signing keys as a JWKS (kid = key expiry). Public, cacheable for a minute. */
export function registerJwks(app: FastifyInstance, bus: BusClient): void {
  app.get('/.well-known/jwks.json', async (_req, reply) => {
    try {
      const { keys } = await bus.request(jwksContract, {});
      return reply.header('cache-control', 'public, max-age=60').send({ keys: keys.map((k) => Jwk.parse(k)) });
    } catch (err) {
      // Identity unreachable: 503 with Retry-After, like every v1 route.
      return sendProblem(reply, toProblem(err));
    }
  });
}
