import fc from 'fast-check';
import { Peers, api } from './pki-peers';
import { startStack, type TestStack } from './stack';

/**
 * Hostile-input fuzzing of the REST surface (issue 17): URL paths, JSON bodies for every mutating
 * v1 route (derived from /openapi.json, then broken), CSRs and universe files. Whatever comes in,
 * the answer is a 4xx problem (or a success), never a 5xx, and the services stay ready. Fixed seed
 * and bounded runs, so a failure replays exactly and the spec stays in `npm test`.
 */
const SEED = 17;
const OPERATOR = 'am://user/the-operator';
const ALICE = 'am://user/hpe/bu1/alice';

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema>; required?: string[]; items?: JsonSchema; enum?: unknown[]; const?: unknown; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; allOf?: JsonSchema[] };

/** A value that fits the schema, roughly: the start from which the mutations below depart. */
function fromSchema(s: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!s || depth > 6) return fc.jsonValue({ maxDepth: 2 });
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => fromSchema(a, depth + 1)));
  if (s.allOf?.length) return fromSchema(s.allOf[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const props = Object.entries(s.properties ?? {});
      if (props.length === 0) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
      const record = Object.fromEntries(props.map(([k, v]) => [k, fromSchema(v, depth + 1)]));
      return fc.record(record, { requiredKeys: (s.required ?? []).filter((k) => k in record) });
    }
    case 'array':
      return fc.array(fromSchema(s.items, depth + 1), { maxLength: 3 });
    case 'string':
      return fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('am://user/hpe/bu1/alice', 'am://data/fuzz', 'am://', 'READ', 'ADMIN', '-1', '0'));
    case 'integer':
    case 'number':
      return fc.oneof(fc.integer(), fc.constantFrom(0, -1, 1, 2 ** 53, -(2 ** 63), 1e308));
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Deeply nested arrays/objects, as JSON text (too deep for JSON.stringify to build safely). */
const deepText = fc.record({ depth: fc.integer({ min: 50, max: 20_000 }), array: fc.boolean() }).map(({ depth, array }) => (array ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)));

/** Breaks a JSON value: wrong types, huge numbers, prototype keys, deep nesting, bad bytes. */
function hostileBody(valid: fc.Arbitrary<unknown>): fc.Arbitrary<string | Uint8Array<ArrayBuffer>> {
  const asText = valid.map((v) => JSON.stringify(v) ?? 'null');
  const replaceMember = fc.tuple(valid, fc.oneof(fc.jsonValue(), fc.constantFrom(1e308, -1e308, 2 ** 64, '9'.repeat(400), '', null, [], {}, '\u0000', '\ud800'))).map(([v, bad]) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return JSON.stringify(bad) ?? 'null';
    const keys = Object.keys(v);
    const key = keys.length ? keys[JSON.stringify(bad).length % keys.length] : 'x';
    return JSON.stringify({ ...v, [key]: bad });
  });
  const protoKeys = fc.tuple(asText, fc.constantFrom('__proto__', 'constructor', 'prototype')).map(([t, key]) =>
    t.startsWith('{') && t !== '{}' ? `{"${key}":{"polluted":true},${t.slice(1)}` : `{"${key}":{"prototype":{"polluted":true}}}`,
  );
  const deepMember = fc.tuple(asText, deepText).map(([t, deep]) => (t.startsWith('{') && t !== '{}' ? `{"deep":${deep},${t.slice(1)}` : deep));
  const invalidUtf8 = fc.tuple(asText, fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => Uint8Array.from([0xc3, 0x28, 0xff, ...b]))).map(([t, bad]) => {
    const text = Buffer.from(t);
    const at = Math.floor(text.length / 2);
    return new Uint8Array(Buffer.concat([text.subarray(0, at), bad, text.subarray(at)]));
  });
  const truncated = asText.chain((t) => fc.integer({ min: 0, max: Math.max(0, t.length - 1) }).map((n) => t.slice(0, n)));
  return fc.oneof(asText, replaceMember, protoKeys, deepMember, invalidUtf8, truncated, fc.string({ maxLength: 60 }), fc.constantFrom('null', '[]', '"x"', '1e999', '{"a":1,"a":2}'));
}

/** Path segments that have broken URL handling somewhere before. */
const segment = fc.oneof(
  fc.constantFrom('.', '..', '%2e%2e', '%2F', '%00', '%', '%zz', '%c3%28', '~', '*', 'annotations', 'annotations/note/1', 'annotations/x/-99999999999999999999', ';', '?', '#', '@', 'am:', '//', ' ', '\t'),
  fc.string({ unit: 'grapheme', maxLength: 12 }).map(encodeURIComponent),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: 200, max: 5000 }).map((n) => 'a'.repeat(n)),
);
const nodePath = fc.tuple(fc.constantFrom('', 'user', 'data', 'workload', 'role', 'user/hpe/bu1/alice', 'data/fuzz'), fc.array(segment, { maxLength: 6 })).map(([root, rest]) => `/v1/nodes/${[root, ...rest].filter(Boolean).join('/')}`);

describe('hostile-input fuzzing of the REST surface (real stack, new_sample)', () => {
  let stack: TestStack;
  let peers: Peers;
  let openapi: { paths: Record<string, Record<string, { requestBody?: { content: { 'application/json': { schema: JsonSchema } } } }>> };
  let csrDer: Buffer;
  let universeText: string;
  const failures: string[] = [];
  /** Answers by status class, per test: proof the cases reached the services. */
  const answered = new Map<string, number>();

  /** One request; anything but a non-5xx answer (problem+json for v1 errors) is recorded. */
  const send = async (method: string, path: string, opts: { as?: string; raw?: string | Uint8Array<ArrayBuffer>; contentType?: string }) => {
    let r: Awaited<ReturnType<typeof api>>;
    try {
      r = await api(stack.gatewayUrl, method, path, { as: opts.as, raw: opts.raw, headers: opts.contentType ? { 'content-type': opts.contentType } : undefined });
    } catch (err) {
      // The client refused to send it (an URL or header fetch will not build): nothing reached us.
      if (err instanceof TypeError && !/fetch failed/.test(err.message)) return;
      throw err;
    }
    const what = `${method} ${path.slice(0, 200)} ${typeof opts.raw === 'string' ? opts.raw.slice(0, 200) : ''} → ${r.status} ${r.text.slice(0, 300)}`;
    answered.set(`${Math.floor(r.status / 100)}xx`, (answered.get(`${Math.floor(r.status / 100)}xx`) ?? 0) + 1);
    if (r.status >= 500) failures.push(what);
    else if (r.status >= 400 && path.startsWith('/v1/') && !r.type.includes('application/problem+json')) failures.push(`not problem+json: ${what}`);
    return r;
  };
  const check = async (property: fc.IAsyncPropertyWithHooks<any> | fc.IAsyncProperty<any>, numRuns: number) => {
    await fc.assert(property, { seed: SEED, numRuns, endOnFailure: true });
    expect(failures).toEqual([]);
    // Most cases were sent and answered, and not all alike.
    expect([...answered.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(numRuns * 0.8);
    expect(answered.get('4xx')).toBeGreaterThan(0);
  };

  beforeAll(async () => {
    stack = await startStack();
    peers = await Peers.create();
    openapi = (await api(stack.gatewayUrl, 'GET', '/openapi.json')).json;
    await peers.openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'fuzz.key', '-subj', '/CN=fuzz', '-out', 'fuzz.csr');
    csrDer = Buffer.from((await peers.read('fuzz.csr')).replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    universeText = (await api(stack.gatewayUrl, 'GET', '/v1/universe', { as: OPERATOR })).text;
    expect(JSON.parse(universeText).path).toBe('am://');
  });
  afterAll(async () => {
    await stack?.stop();
    await peers?.cleanup();
  });
  afterEach(() => {
    failures.splice(0);
    answered.clear();
  });

  it('URL paths under /v1/nodes: weird segments, percent-encoding, dots, unicode, very long', async () => {
    await check(
      fc.asyncProperty(fc.constantFrom('GET', 'PUT', 'DELETE', 'POST'), nodePath, fc.constantFrom(OPERATOR, ALICE, undefined), async (method, path, as) => {
        const raw = method === 'PUT' ? '{"kind":"dir"}' : method === 'POST' ? '{"tag":"note","data":"x"}' : undefined;
        await send(method, path, { as, raw });
      }),
      250,
    );
  });

  it('JSON bodies for every mutating v1 route, from /openapi.json and then broken', async () => {
    const routes = Object.entries(openapi.paths).flatMap(([url, methods]) =>
      Object.entries(methods)
        .filter(([method, op]) => method !== 'get' && op.requestBody)
        .map(([method, op]) => ({ method: method.toUpperCase(), url: url.replace('{path}', url.startsWith('/v1/nodes') && method === 'post' ? 'data/fuzz/annotations' : 'data/fuzz/n'), schema: op.requestBody!.content['application/json'].schema })),
    );
    expect(routes.length).toBeGreaterThanOrEqual(10);
    await api(stack.gatewayUrl, 'PUT', '/v1/nodes/data/fuzz', { as: OPERATOR, body: { kind: 'dir' } });
    const cases = fc.oneof(...routes.map((r) => fc.record({ method: fc.constant(r.method), url: fc.constant(r.url), body: hostileBody(fromSchema(r.schema)), as: fc.constantFrom(OPERATOR, ALICE) })));
    await check(
      fc.asyncProperty(cases, async ({ method, url, body, as }) => {
        await send(method, url, { as, raw: body });
      }),
      500,
    );
    // Prototype keys reached no object of the gateway.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('CSRs: garbage PEM, truncated and bit-flipped openssl DER', async () => {
    const pem = (der: Buffer) => `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    const mutated = fc.oneof(
      fc.integer({ min: 0, max: csrDer.length - 1 }).map((n) => pem(csrDer.subarray(0, n))),
      fc.array(fc.tuple(fc.nat(csrDer.length - 1), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }).map((flips) => {
        const der = Buffer.from(csrDer);
        for (const [at, bit] of flips) der[at] ^= 1 << bit;
        return pem(der);
      }),
      fc.uint8Array({ maxLength: 400 }).map((b) => pem(Buffer.from(b))),
      fc.string({ maxLength: 200 }),
      fc.constantFrom(pem(csrDer).replace('REQUEST', 'REQUES'), pem(csrDer) + pem(csrDer), '-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----', pem(Buffer.alloc(70_000, 0x30))),
    );
    await check(
      fc.asyncProperty(mutated, fc.constantFrom('am://workload/hpe/bu1/dashboard', ALICE, 'am://nope', ''), async (csr, principal) => {
        await send('POST', '/v1/pki/sign', { as: OPERATOR, raw: JSON.stringify({ csr, principal }) });
      }),
      120,
    );
  });

  it('universe files: the new_sample export mutated, deep nesting', async () => {
    const file = JSON.parse(universeText) as unknown;
    /** Replaces one value somewhere in the tree (picked by a walk of `choice`) with `bad`. */
    const mutate = (value: unknown, choice: number, bad: unknown): unknown => {
      if (typeof value !== 'object' || value === null) return bad;
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
      if (entries.length === 0 || choice % 5 === 0) return bad;
      const [key, member] = entries[choice % entries.length];
      const next = mutate(member, Math.floor(choice / entries.length), bad);
      return Array.isArray(value) ? value.map((v, i) => (String(i) === key ? next : v)) : { ...value, [key]: next };
    };
    const bad = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('am://user/../x', 'am://role/hpe/hpe-admin', { tag: 'ssh-pubkey', data: 'nope' }, { tag: 'ace', op: 'ADMIN', acls: [{ roles: [] }] }, { tag: 'note', startMillis: '2', endMillis: '1' }, 2 ** 64, '__proto__'));
    const universe = fc.oneof(
      fc.tuple(fc.nat(), bad).map(([choice, b]) => JSON.stringify(mutate(file, choice, b))),
      deepText,
      fc.integer({ min: 0, max: universeText.length - 1 }).map((n) => universeText.slice(0, n)),
      fc.constant(universeText.replace('"path"', '"__proto__":{"x":1},"path"')),
    );
    await check(
      fc.asyncProperty(universe, async (text) => {
        // As a principal who may not import: everything up to the permission check runs, nothing is written.
        await send('POST', '/v1/universe', { as: ALICE, raw: text });
      }),
      60,
    );
  });

  it('after all of it every service still answers /readyz', async () => {
    const ready = await api(stack.gatewayUrl, 'GET', '/readyz');
    expect(ready.status).toBe(200);
  });
});
