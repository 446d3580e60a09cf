import type { FastifyInstance } from 'fastify';

/**
 * Deepest nesting of arrays and objects a JSON body may have. The deepest valid universe file
 * (32 path components, two levels per node, then meta/ACL/roles) is about 70; more than this is
 * an attack on every recursive step after parsing (JSON.stringify, schema checks, tree walks),
 * which would otherwise surface as a stack overflow and a 500.
 */
export const MAX_JSON_DEPTH = 128;

/** Nesting depth of a parsed JSON value, walked without recursion. */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (here > MAX_JSON_DEPTH) return here;
    for (const member of Array.isArray(v) ? v : Object.values(v)) if (typeof member === 'object' && member !== null) stack.push([member, here]);
  }
  return deepest;
}

/**
 * Refuses a parsed body over the depth limit before any route (or Nest) touches it: a 400 naming
 * the limit, answered by the fallback filter like any malformed body. A hook rather than a parser
 * of our own, so the JSON parser stays the one Nest registers (prototype-poisoning keys refused).
 */
export function limitJsonDepth(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    if (typeof req.body === 'object' && req.body !== null && jsonDepth(req.body) > MAX_JSON_DEPTH) {
      throw Object.assign(new Error(`the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`), { statusCode: 400 });
    }
  });
}
