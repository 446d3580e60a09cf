import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { HOSTILE_CREDENTIAL_CASES, hostileCredentials } from '@am/testing';
import { startStack, type TestStack } from './stack';

const OPERATOR = 'am://user/the-operator';
const ALICE = 'am://user/hpe/bu1/alice';
const BOB = 'am://user/hpe/bu1/bob';

describe('REST v1 through the gateway (real stack, new_sample)', () => {
  let stack: TestStack;
  const call = async (method: string, path: string, opts: { as?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...(opts.as ? { authorization: `Bearer ${opts.as}` } : {}), ...opts.headers };
    if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${stack.gatewayUrl}${path}`, { method, headers, body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)) });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, type: res.headers.get('content-type') ?? '', revision: res.headers.get('am-revision'), json, text };
  };
  const expectProblem = (r: Awaited<ReturnType<typeof call>>, status: number) => {
    expect(r.status).toBe(status);
    expect(r.type).toContain('application/problem+json');
    expect(r.json).toMatchObject({ type: expect.stringMatching(/^https:\/\/access-manager\.dev\/problems\//), title: expect.any(String), status, detail: expect.any(String) });
  };

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('GET /v1/nodes/{path}: redacted details with children and the revision; invisible → 404; no credential → 401', async () => {
    const r = await call('GET', '/v1/nodes/user/hpe/bu1/alice', { as: BOB });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ path: ALICE, isDirectory: false, children: [], revision: expect.any(Number) });
    expect(r.json.roles[0].role).toBe('## Redacted role ##');
    expect(r.revision).toBe(String(r.json.revision));
    expect((await call('GET', '/v1/nodes/user', { as: ALICE })).json.children).toEqual(['am://user/hpe', 'am://user/small']);
    expect((await call('GET', '/v1/nodes/', { as: OPERATOR })).json.path).toBe('am://');
    expectProblem(await call('GET', '/v1/nodes/user/yoyodyne', { as: ALICE }), 404);
    expectProblem(await call('GET', '/v1/nodes/user'), 401);
    expectProblem(await call('GET', '/v1/nodes/user', { as: 'am://user/nobody' }), 401);
    expectProblem(await call('GET', '/v1/nodes/user', { as: 'not-a-credential' }), 401);
  });

  it('PUT, annotate, replace with a version, conflict, delete annotation, DELETE recursive', async () => {
    const created = await call('PUT', '/v1/nodes/data/v1test', { as: OPERATOR, body: { kind: 'dir' } });
    expect(created.status).toBe(201);
    expect((await call('PUT', '/v1/nodes/data/v1test/leaf', { as: OPERATOR, body: { kind: 'leaf' } })).status).toBe(201);
    expectProblem(await call('PUT', '/v1/nodes/data/v1test/leaf', { as: OPERATOR, body: { kind: 'leaf' } }), 409);
    expectProblem(await call('PUT', '/v1/nodes/data/alice', { as: ALICE, body: { kind: 'leaf' } }), 403);
    const bad = await call('PUT', '/v1/nodes/data/x', { as: OPERATOR, body: { kind: 'folder' } });
    expectProblem(bad, 400);
    expect(bad.json.field).toBe('body.kind');

    const added = await call('POST', '/v1/nodes/data/v1test/leaf/annotations', { as: OPERATOR, body: { tag: 'note', data: 'one' } });
    expect(added.status).toBe(200);
    const { unique } = added.json.annotation;
    const replaced = await call('POST', '/v1/nodes/data/v1test/leaf/annotations', { as: OPERATOR, body: { tag: 'note', unique, version: '1', data: 'two' } });
    expect(replaced.json.annotation.version).toBe('2');
    expectProblem(await call('POST', '/v1/nodes/data/v1test/leaf/annotations', { as: OPERATOR, body: { tag: 'note', unique, version: '1', data: 'three' } }), 409);
    const read = await call('GET', '/v1/nodes/data/v1test/leaf', { as: OPERATOR, headers: { 'AM-Consistency': String(replaced.json.revision) } });
    expect(read.json.annotations).toEqual([expect.objectContaining({ unique, data: 'two' })]);
    expectProblem(await call('DELETE', `/v1/nodes/data/v1test/leaf/annotations/note/${unique}?version=1`, { as: OPERATOR }), 409);
    expect((await call('DELETE', `/v1/nodes/data/v1test/leaf/annotations/note/${unique}?version=2`, { as: OPERATOR })).status).toBe(200);
    expectProblem(await call('DELETE', '/v1/nodes/data/v1test', { as: OPERATOR }), 409);
    const removed = await call('DELETE', '/v1/nodes/data/v1test?recursive=true', { as: OPERATOR });
    expect(removed.json.removed.sort()).toEqual(['am://data/v1test', 'am://data/v1test/leaf']);
  });

  it('POST /v1/check (with explanation and time travel), who-can, what-can, history, whoami', async () => {
    expect((await call('POST', '/v1/check', { as: ALICE, body: { target: ALICE, ops: ['VIEW'] } })).json).toMatchObject({ allowed: true, agent: ALICE });
    const explained = await call('POST', '/v1/check', { as: 'am://user/demo-god', body: { target: 'am://data', ops: ['ADMIN'], agent: ALICE, explain: true } });
    expect(explained.json.explanation.operations[0].op).toBe('ADMIN');
    const before = Number((await call('GET', '/v1/whoami', { as: OPERATOR })).revision);
    await call('PUT', '/v1/nodes/data/later', { as: OPERATOR, body: { kind: 'leaf' } });
    expectProblem(await call('POST', '/v1/check', { as: OPERATOR, body: { target: 'am://data/later', ops: ['VIEW'], asOf: before } }), 404);
    expectProblem(await call('POST', '/v1/check', { as: OPERATOR, body: { target: 'am://data', ops: ['FLY'] } }), 400);
    expect((await call('GET', `/v1/who-can?target=${encodeURIComponent(ALICE)}&op=VIEW&under=am://user/hpe`, { as: 'am://user/demo-god' })).json.principals).toContain(BOB);
    expect((await call('GET', `/v1/what-can?principal=${encodeURIComponent(ALICE)}&op=VIEW&under=am://user`, { as: 'am://user/demo-god' })).json.paths).toContain(ALICE);
    const history = await call('GET', '/v1/history?path=am://data/later', { as: OPERATOR });
    expect(history.json.events.map((e: { kind: string }) => e.kind)).toContain('create-node');
    expect((await call('GET', '/v1/whoami', { as: ALICE })).json).toMatchObject({ principal: ALICE, via: 'demo-identity' });
    expectProblem(await call('GET', '/v1/who-can?op=VIEW', { as: OPERATOR }), 400);
  });

  it('GET /v1/universe exports what the caller sees; POST /v1/universe imports under the normal permissions', async () => {
    const exported = await call('GET', '/v1/universe?path=am://user/small', { as: OPERATOR });
    expect(exported.status).toBe(200);
    expect(exported.json.path).toBe('am://');
    const file = { path: 'am://', children: ['user', 'workload', 'role'].map((n) => ({ path: `am://${n}` })).concat([{ path: 'am://data', children: [{ path: 'am://data/via-rest' }] } as never]) };
    expectProblem(await call('POST', '/v1/universe', { as: ALICE, body: file }), 403);
    const imported = await call('POST', '/v1/universe', { as: OPERATOR, body: file });
    expect(imported.json).toMatchObject({ mode: 'import' });
    expect((await call('GET', '/v1/nodes/data/via-rest', { as: OPERATOR, headers: { 'AM-Consistency': String(imported.json.revision) } })).status).toBe(200);
    expectProblem(await call('POST', '/v1/universe?name=nope', { as: OPERATOR }), 400);
  });

  it('hostile input: bad JSON, unknown fields, wrong types, huge bodies, bad escapes, bad tokens → 4xx; the gateway keeps serving', async () => {
    expectProblem(await call('PUT', '/v1/nodes/data/x', { as: OPERATOR, raw: '{"kind":' }), 400);
    expectProblem(await call('PUT', '/v1/nodes/data/x', { as: OPERATOR, body: { kind: 'leaf', extra: 1 } }), 400);
    expectProblem(await call('POST', '/v1/check', { as: OPERATOR, body: { target: 7, ops: 'READ' } }), 400);
    const badAsOf = await call('POST', '/v1/check', { as: OPERATOR, body: { target: 'am://user', ops: ['VIEW'], asOf: 'yesterday' } });
    expectProblem(badAsOf, 400);
    expect(badAsOf.json.field).toBe('body.asOf');
    expectProblem(await call('PUT', '/v1/nodes/data/x', { as: OPERATOR, raw: JSON.stringify({ kind: 'leaf', pad: 'x'.repeat(2 * 1024 * 1024) }) }), 413);
    expectProblem(await call('GET', '/v1/nodes/data/%E0%A4%A', { as: OPERATOR }), 400);
    expectProblem(await call('GET', '/v1/nodes/data/..%2F..', { as: OPERATOR }), 400);
    expectProblem(await call('GET', '/v1/nodes/user', { headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' } }), 401);
    expectProblem(await call('GET', '/v1/nodes/user', { as: OPERATOR, headers: { 'AM-Consistency': 'soon' } }), 400);
    expectProblem(await call('GET', '/v1/nope', { as: OPERATOR }), 404);
    // Oversized bearer tokens and empty fields are the caller's mistakes, never a 500.
    expectProblem(await call('POST', '/v1/credentials/vouch', { as: 'x'.repeat(9000), body: { principal: 'am://user/yoyodyne/bob' } }), 401);
    expectProblem(await call('POST', '/v1/credentials/vouch', { as: 'am://workload/yoyodyne/id-plugin', body: { principal: '' } }), 400);
    expectProblem(await call('POST', '/v1/credentials/delegation', { as: OPERATOR, body: { dataset: '' } }), 400);
    expectProblem(await call('POST', '/v1/credentials/delegation', { as: OPERATOR, body: { dataset: 'am://data/yoyodyne/daos1', attributes: [''] } }), 400);
    expectProblem(await call('POST', '/v1/credentials/delegation', { as: OPERATOR, body: { dataset: 'am://data/yoyodyne/daos1', attributes: [`am://role/${'**a'.repeat(40)}Z`] } }), 400);
    expect((await call('GET', '/v1/nodes/user', { as: OPERATOR })).status).toBe(200);
  });

  it('credentials: a plugin vouches, the JWT authenticates at the gateway, validates, and its key is in the JWKS', async () => {
    const bob = 'am://user/yoyodyne/bob';
    const vouched = await call('POST', '/v1/credentials/vouch', { as: 'am://workload/yoyodyne/id-plugin', body: { principal: bob } });
    expect(vouched.status).toBe(200);
    expect(vouched.json).toMatchObject({ principal: bob, credential: expect.stringMatching(/^eyJ/) });
    expect((await call('GET', '/v1/whoami', { as: vouched.json.credential })).json).toMatchObject({ principal: bob, via: 'credential' });
    expect((await call('POST', '/v1/credentials/validate', { body: { credential: vouched.json.credential } })).json).toMatchObject({ valid: true, kind: 'login', claims: { id: bob } });
    const tampered = vouched.json.credential.slice(0, -4) + (vouched.json.credential.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    // The gateway refuses a bad JWT itself: no request reaches a service.
    const observer = await stack.infra.observe();
    const requests: string[] = [];
    observer.subscribe('am.>', { callback: (_e, m) => void (m.reply && requests.push(m.subject)) });
    await observer.flush();
    const refused = await call('GET', '/v1/whoami', { as: tampered });
    expectProblem(refused, 401);
    expect(refused.json.detail).toContain('verification error');
    await call('GET', '/v1/whoami', { as: vouched.json.credential }); // the control: this one is asked
    await observer.flush();
    await observer.close();
    expect(requests).toEqual(['am.policy.caller.resolve']);
    expectProblem(await call('POST', '/v1/credentials/vouch', { as: ALICE, body: { principal: BOB } }), 403);
    const jwks = (await call('GET', '/.well-known/jwks.json')).json;
    const kid = JSON.parse(Buffer.from(vouched.json.credential.split('.')[0], 'base64url').toString()).kid;
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(kid);
  });

  describe('hostile credentials at the gateway: each one is a 401, with the reason', () => {
    let forged: Awaited<ReturnType<typeof hostileCredentials>>;
    beforeAll(async () => {
      forged = await hostileCredentials(await stack.identity.signingKeys.signingKeyFor(1800), OPERATOR);
    });

    it.each(HOSTILE_CREDENTIAL_CASES)('%s', async (what) => {
      const { token, reason } = forged.hostile[what];
      for (const path of ['/v1/whoami', '/v1/nodes/user']) {
        const refused = await call('GET', path, { as: token });
        expectProblem(refused, 401);
        expect(refused.json.detail).toMatch(reason);
      }
      const checked = await call('POST', '/v1/check', { as: token, body: { target: 'am://user', ops: ['VIEW'] } });
      expectProblem(checked, 401);
    });

    it('the well-formed credential they were made from is accepted (each case above fails for its own reason)', async () => {
      expect((await call('GET', '/v1/whoami', { as: forged.wellFormed })).json).toMatchObject({ principal: OPERATOR, via: 'credential' });
      expect((await call('POST', '/v1/check', { as: forged.wellFormed, body: { target: 'am://user', ops: ['VIEW'] } })).status).toBe(200);
    });
  });

  it('delegation: a credential with a target ACE, validated by the consumer it is presented to, extended without widening', async () => {
    const bob = (await call('POST', '/v1/credentials/vouch', { as: 'am://workload/yoyodyne/id-plugin', body: { principal: 'am://user/yoyodyne/bob' } })).json.credential;
    const dataset = 'am://data/yoyodyne/daos1';
    const targetAce = { acls: [{ roles: ['am://role/yoyodyne/id-plugin'] }] };
    const created = await call('POST', '/v1/credentials/delegation', { as: bob, body: { dataset, targetAce, attributes: ['am://role/yoyodyne/daos/*'] } });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ dataset, targetAce, heritableAce: { acls: [] }, roles: ['am://role/yoyodyne/daos/raw', 'am://role/yoyodyne/daos/ref'] });
    const validate = (as: string | undefined, credential: string) => call('POST', '/v1/credentials/validate', { as, body: { credential, asTarget: true } });
    expect((await validate('am://workload/yoyodyne/id-plugin', created.json.credential)).json).toMatchObject({
      valid: true,
      kind: 'delegation',
      claims: { target_ace: targetAce, dataset },
      target: { principal: 'am://workload/yoyodyne/id-plugin', satisfied: true },
    });
    expect((await validate(bob, created.json.credential)).json).toMatchObject({ valid: false, target: { satisfied: false } });
    expectProblem(await validate(undefined, created.json.credential), 401);
    // A delegation credential is never a login, at the gateway either.
    expectProblem(await call('GET', '/v1/whoami', { as: created.json.credential }), 401);

    const extended = await call('POST', '/v1/credentials/delegation', { as: bob, body: { dataset, delegation: created.json.credential, attributes: ['**/raw'] } });
    expect(extended.json).toMatchObject({ roles: ['am://role/yoyodyne/daos/raw'], targetAce });
    const empty = await call('POST', '/v1/credentials/delegation', { as: bob, body: { dataset, targetAce: { acls: [{ roles: [] }] } } });
    expectProblem(empty, 400);
    expectProblem(await call('POST', '/v1/credentials/delegation', { as: bob, body: { dataset, targetAce: { acls: [{ roles: ['am://role/yoyodyne/yoyo-admin'] }] } } }), 404);
    const badShape = await call('POST', '/v1/credentials/delegation', { as: bob, body: { dataset, targetAce: [['am://role/x']] } });
    expectProblem(badShape, 400);
    expect(badShape.json.field).toBe('body.targetAce');
  });

  it('serves an OpenAPI 3.1 document that validates and covers every v1 route, and interactive docs', async () => {
    const doc = (await call('GET', '/openapi.json')).json;
    expect(doc.openapi).toBe('3.1.0');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        expect(op.responses['401'] ?? !op.security).toBeTruthy();
        for (const r of Object.values<any>(op.responses)) for (const media of Object.values<any>(r.content ?? {})) {
          const schema = JSON.parse(JSON.stringify(media.schema).replaceAll('#/components/schemas/', '#/$defs/'));
          expect(() => ajv.compile({ ...schema, $defs: { ...schema.$defs, ...doc.components.schemas } })).not.toThrow();
        }
        expect(`${method} ${path}`).toMatch(/^(get|put|post|delete) \/v1\//);
      }
    }
    const served = ['get /v1/nodes/{path}', 'put /v1/nodes/{path}', 'delete /v1/nodes/{path}', 'post /v1/nodes/{path}/annotations', 'delete /v1/nodes/{path}/annotations/{tag}/{unique}', 'post /v1/check', 'get /v1/who-can', 'get /v1/what-can', 'get /v1/analysis/default-open', 'get /v1/history', 'post /v1/universe', 'get /v1/universe', 'get /v1/whoami', 'post /v1/credentials/vouch', 'post /v1/credentials/validate', 'post /v1/credentials/delegation'];
    const pki = ['get /v1/pki/ca', 'post /v1/pki/ca', 'post /v1/pki/sign', 'post /v1/pki/issue', 'post /v1/pki/revoke', 'get /v1/pki/crl', 'get /v1/pki/trust', 'post /v1/pki/trust', 'delete /v1/pki/trust', 'post /v1/pki/pins', 'delete /v1/pki/pins'];
    served.push(...pki);
    const documented = Object.entries<Record<string, unknown>>(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(documented.sort()).toEqual(served.sort());
    // Each URL's path parameters are declared.
    expect(doc.paths['/v1/nodes/{path}/annotations/{tag}/{unique}'].delete.parameters.filter((p: any) => p.in === 'path').map((p: any) => p.name)).toEqual(['path', 'tag', 'unique']);
    const docs = await call('GET', '/docs');
    expect(docs.type).toContain('text/html');
    expect((await fetch(`${stack.gatewayUrl}/docs/swagger-ui-bundle.js`)).status).toBe(200);
  });

  it('query parameters that name a node take it with or without the am:// scheme, as /v1/nodes/ URLs do', async () => {
    for (const [url, key] of [
      ['/v1/history?path=%s', 'events'],
      ['/v1/who-can?op=ADMIN&target=%s', 'principals'],
      ['/v1/what-can?op=VIEW&principal=%s', 'paths'],
    ] as const) {
      const withScheme = await call('GET', url.replace('%s', encodeURIComponent(ALICE)), { as: ALICE });
      const without = await call('GET', url.replace('%s', ALICE.slice('am://'.length)), { as: ALICE });
      expect([url, withScheme.status, without.status]).toEqual([url, 200, 200]);
      expect(without.json[key]).toEqual(withScheme.json[key]);
    }
    const exported = await call('GET', '/v1/universe?path=data/hpe/bu1', { as: ALICE });
    expect(exported.status).toBe(200);
    expect(exported.text).toContain('am://data/hpe/bu1/hot-data');
  });
});

describe('REST v1 when the owning service is down', () => {
  it('answers 503 problem+json with Retry-After, within the request timeout', async () => {
    const { TestInfra } = await import('@am/testing');
    const { loadConfig } = await import('@am/runtime');
    const { gatewaySettings, startGateway } = await import('@apps/gateway');
    const infra = await TestInfra.start();
    try {
      const gateway = infra.track(await startGateway(loadConfig(gatewaySettings, infra.env('gateway', { AM_REQUEST_TIMEOUT: '300ms' }))));
      const res = await fetch(`http://127.0.0.1:${gateway.port}/v1/nodes/user`, { headers: { authorization: 'Bearer am://user/the-operator' } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ status: 503, type: 'https://access-manager.dev/problems/unavailable' });
      const jwks = await fetch(`http://127.0.0.1:${gateway.port}/.well-known/jwks.json`);
      expect([jwks.status, jwks.headers.get('retry-after')]).toEqual([503, '1']);
    } finally {
      await infra.stop();
    }
  });

});
