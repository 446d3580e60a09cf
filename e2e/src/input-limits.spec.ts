import { sshKeygen } from '@am/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api } from './pki-peers';
import { startStack, type TestStack } from './stack';

const OPERATOR = 'am://user/the-operator';

/** Issue 17 item 7: small input holes, each attacked the way it was found, over real REST. */
describe('hostile inputs get a clear 4xx (real stack, new_sample)', () => {
  let stack: TestStack;
  let keys: string;
  const call = (method: string, path: string, opts: Parameters<typeof api>[3] = {}) => api(stack.gatewayUrl, method, path, opts);
  // A principal of its own: an ssh key on the operator would end its demo identity.
  const annotate = (annotation: unknown) => call('POST', '/v1/nodes/workload/input-limits/annotations', { as: OPERATOR, body: annotation });
  const expectProblem = (r: Awaited<ReturnType<typeof call>>, status: number, detail: RegExp, field?: string) => {
    expect({ status: r.status, detail: r.json?.detail }).toEqual({ status, detail: expect.stringMatching(detail) });
    expect(r.type).toContain('application/problem+json');
    if (field) expect(r.json.field).toBe(field);
  };

  beforeAll(async () => {
    stack = await startStack();
    keys = mkdtempSync(join(tmpdir(), 'am-input-keys-'));
    expect((await call('PUT', '/v1/nodes/workload/input-limits', { as: OPERATOR, body: { kind: 'leaf' } })).status).toBe(201);
  });
  afterAll(async () => {
    if (keys) rmSync(keys, { recursive: true, force: true });
    await stack?.stop();
  });

  it('an annotation under the body limit but over what one etcd transaction carries: 413 naming the limit, not 503 with etcd\'s error', async () => {
    const r = await annotate({ tag: 'note', data: 'x'.repeat(900 * 1024) });
    expectProblem(r, 413, /larger than 262144 bytes/);
    expect(r.text).not.toMatch(/etcd|request is too large|grpc/i);
    // Just under the limit is stored.
    expect((await annotate({ tag: 'note', data: 'x'.repeat(200 * 1024) })).status).toBe(200);
  });

  it('a universe nested thousands of levels deep: 400 naming the depth limit', async () => {
    let node = '{"path":"am://x"}';
    for (let i = 0; i < 4500; i++) node = `{"path":"am://","children":[${node}]}`;
    const r = await call('POST', '/v1/universe', { as: OPERATOR, raw: node });
    expectProblem(r, 400, /nested deeper than \d+ levels/, 'body');
  });

  it('ssh-pubkey must be an OpenSSH public key whose blob carries the type it names', async () => {
    const good = sshKeygen(keys, 'ed25519', 'good').pub;
    const rsa = sshKeygen(keys, 'rsa', 'rsa').pub;
    expect((await annotate({ tag: 'ssh-pubkey', data: good })).status).toBe(200);
    for (const bad of ['hello', 'ssh-ed25519 not-base64!', `ssh-rsa ${good.split(' ')[1]}`, `ssh-dss ${rsa.split(' ')[1]}`, `${good}\n${rsa}`, '']) {
      expectProblem(await annotate({ tag: 'ssh-pubkey', data: bad }), 400, /not an OpenSSH public key/, 'body.data');
      expectProblem(await annotate({ tag: 'ssh-public-key', data: bad }), 400, /not an OpenSSH public key/, 'body.data');
    }
    // The compat route answers in the reference's shape: an error status in a 200.
    const compat = await call('POST', `/annotate?path=am://workload/input-limits&caller_id=${encodeURIComponent(OPERATOR)}&annotation=${encodeURIComponent(JSON.stringify({ tag: 'ssh-pubkey', data: 'hello' }))}`);
    expect(compat.json).toEqual({ error: { error: 1, message: expect.stringMatching(/not an OpenSSH public key/), global: '0' } });
  });

  it('an annotation whose time window ends before it starts: 400', async () => {
    expectProblem(await annotate({ tag: 'note', data: 'n', startMillis: 2000, endMillis: 1000 }), 400, /endMillis .*before startMillis/, 'body.endMillis');
    expect((await annotate({ tag: 'note', data: 'n', startMillis: 2000, endMillis: 0 })).status).toBe(200);
    expect((await annotate({ tag: 'note', data: 'n', startMillis: 1000, endMillis: 2000 })).status).toBe(200);
    // A universe file with such a window is refused too, naming the node.
    const file = { path: 'am://', children: ['am://user', 'am://workload', 'am://role', 'am://data'].map((path) => ({ path })) };
    (file.children[3] as Record<string, unknown>).meta = [{ tag: 'note', data: 'n', startMillis: '2000', endMillis: '1000' }];
    expectProblem(await call('POST', '/v1/universe', { as: OPERATOR, body: file }), 400, /am:\/\/data: endMillis 1000 is before startMillis 2000/);
  });

  it('an unknown bundled universe lists the built-in names the way the spec quotes them', async () => {
    const r = await call('POST', '/v1/universe?name=nope', { as: OPERATOR });
    expectProblem(r, 400, /try one of \[bootstrap new_sample( [a-z_]+)*\]$/);
  });
});
