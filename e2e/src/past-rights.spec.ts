/**
 * Issue 17 #4 and #8 over REST, on the real stack (new_sample):
 * - time travel with the caller's past rights, as found: bob held bu1-admin, it was removed, and
 *   `GET /v1/nodes/user/hpe/bu1/invisible-man?asOf=<then>` and `POST /v1/check` with that asOf
 *   still answered as if he held it;
 * - "nobody may": an ACE whose ACL names no role (`READ [[]]`) is written by an administrator and
 *   then denies READ to everyone.
 */
import { startStack, type TestStack } from './stack';

const ALICE = 'am://user/hpe/bu1/alice';
const BOB = 'am://user/hpe/bu1/bob';
const CHARLIE = 'am://user/hpe/bu1/charlie';
const OPERATOR = 'am://user/the-operator';
const BU1_ADMIN = 'am://role/hpe/bu1/bu1-admin';

describe('REST: a past state only for who may see it now and then; "nobody may" can be written', () => {
  let stack: TestStack;
  const call = async (method: string, path: string, as: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${as}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const res = await fetch(`${stack.gatewayUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as any };
  };

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('after bob loses bu1-admin, details, check and history as of when he held it answer as today would', async () => {
    const granted = await call('POST', '/v1/nodes/user/hpe/bu1/bob/annotations', ALICE, { tag: 'applied-role', role: BU1_ADMIN });
    expect(granted.status).toBe(200);
    const held = (await call('POST', '/v1/nodes/user/hpe/bu1/invisible-man/annotations', ALICE, { tag: 'note', data: 'seen by bu1 admins' })).json.revision;
    const then = await call('GET', `/v1/nodes/user/hpe/bu1/invisible-man?asOf=${held}`, BOB);
    expect(then.status).toBe(200);
    const removed = await call('DELETE', `/v1/nodes/user/hpe/bu1/bob/annotations/applied-role/${granted.json.annotation.unique}`, ALICE);
    expect(removed.status).toBe(200);
    expect((await call('GET', '/v1/nodes/user/hpe/bu1/invisible-man', BOB)).status).toBe(404);

    const past = await call('GET', `/v1/nodes/user/hpe/bu1/invisible-man?asOf=${held}`, BOB);
    expect(past.status).toBe(404);
    expect(JSON.stringify(past.json)).not.toContain('seen by bu1 admins');
    const check = await call('POST', '/v1/check', BOB, { target: 'am://user/hpe/bu1/invisible-man', ops: ['VIEW'], asOf: held });
    expect(check.status).toBe(404);
    const history = await call('GET', '/v1/history?path=am://user/hpe/bu1&subtree=true', BOB);
    expect(history.status).toBe(200);
    expect(JSON.stringify(history.json)).not.toContain('invisible-man');
    expect(JSON.stringify(history.json)).not.toContain(BU1_ADMIN);
    // His own past node: the role he held is one he may no longer see.
    const own = await call('GET', `/v1/nodes/user/hpe/bu1/bob?asOf=${held}`, BOB);
    expect(own.json.roles.map((r: { role: string }) => r.role)).toEqual(['## Redacted role ##']);

    // Alice may see it now and could then: she still gets the past state.
    const asAlice = await call('GET', `/v1/nodes/user/hpe/bu1/invisible-man?asOf=${held}`, ALICE);
    expect(asAlice.status).toBe(200);
    expect(asAlice.json.annotations.map((a: { data: string }) => a.data)).toContain('seen by bu1 admins');
    expect((await call('POST', '/v1/check', ALICE, { target: 'am://user/hpe/bu1/invisible-man', ops: ['VIEW'], asOf: held })).json.allowed).toBe(true);
  });

  it('asOf before the caller existed: 400 naming it, not 401', async () => {
    const created = await call('PUT', '/v1/nodes/user/hpe/bu1/newcomer', ALICE, { kind: 'leaf' });
    expect(created.status).toBe(201);
    const before = created.json.revision - 1;
    const r = await call('GET', `/v1/nodes/user/hpe/bu1?asOf=${before}`, 'am://user/hpe/bu1/newcomer');
    expect(r.status).toBe(400);
    expect(r.json.detail).toBe(`asOf: am://user/hpe/bu1/newcomer did not exist at revision ${before}`);
    expect((await call('POST', '/v1/check', 'am://user/hpe/bu1/newcomer', { target: 'am://user/hpe/bu1', ops: ['VIEW'], asOf: before })).status).toBe(400);
  });

  it('READ [[]] is accepted from an administrator, and then nobody may read, the administrator included', async () => {
    const target = 'am://data/hpe/bu1/special';
    const may = async (who: string) => (await call('POST', '/v1/check', who, { target, ops: ['READ'] })).json.allowed;
    expect(await may(ALICE)).toBe(true);
    expect(await may(BOB)).toBe(true);
    // Not visible to the operator (not found), and bob is no administrator of it (permission denied).
    expect((await call('POST', `/v1/nodes/${target.slice(5)}/annotations`, OPERATOR, { tag: 'ace', op: 'READ', acls: [{ roles: [] }] })).status).toBe(404);
    expect((await call('POST', `/v1/nodes/${target.slice(5)}/annotations?force=true`, BOB, { tag: 'ace', op: 'READ', acls: [{ roles: [] }] })).status).toBe(403);
    const written = await call('POST', `/v1/nodes/${target.slice(5)}/annotations`, ALICE, { tag: 'ace', op: 'READ', acls: [{ roles: [] }] });
    expect(written.status).toBe(200);
    expect(written.json.annotation).toMatchObject({ op: 'READ', acls: [{ roles: [] }] });
    for (const who of [ALICE, BOB, CHARLIE]) expect(await may(who)).toBe(false);
    // A VIEW [[]] would lock alice out of it: refused unless forced.
    expect((await call('POST', `/v1/nodes/${target.slice(5)}/annotations`, ALICE, { tag: 'ace', op: 'VIEW', acls: [{ roles: [] }] })).status).toBe(409);
  });

  it('vouching for a path that is no principal is 400, visible or not', async () => {
    for (const principal of ['am://data/hpe/bu1/special', 'am://data/yoyodyne/daos1', 'am://data/no/such']) {
      expect((await call('POST', '/v1/credentials/vouch', 'am://workload/yoyodyne/id-plugin', { principal })).status).toBe(400);
    }
  });
});
