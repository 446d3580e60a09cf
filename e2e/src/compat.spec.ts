import { loadConfig } from '@am/runtime';
import { TestInfra } from '@am/testing';
import { gatewaySettings, startGateway } from '@apps/gateway';
import { identitySettings, startIdentity } from '@apps/identity';
import { policySettings, startPolicy } from '@apps/policy';
import { exportUniverseText, parseUniverseText } from '@am/model';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const FIXTURE = join(__dirname, '../../fixtures/hpe-universes/new_sample.json');
const OPERATOR = 'am://user/the-operator';
const ALICE = 'am://user/hpe/bu1/alice';
const BOB = 'am://user/hpe/bu1/bob';

/** The reference's REST surface (compat-rest §2–§4) against the reference new_sample fixture. */
describe('compat routes (real policy, identity and gateway; reference new_sample)', () => {
  let infra: TestInfra;
  let base: string;

  beforeAll(async () => {
    infra = await TestInfra.start();
    // The reference file as its importer mode loads it (duplicate uniques renumbered, universe-format §4).
    const file = join(infra.dir, 'reference-new_sample.json');
    await writeFile(file, exportUniverseText(parseUniverseText(await readFile(FIXTURE, 'utf8'), { renumberDuplicates: true }).universe));
    infra.track(await startPolicy(loadConfig(policySettings, infra.env('policy', { AM_BOOT_UNIVERSE: file }))));
    infra.track(await startIdentity(loadConfig(identitySettings, infra.env('identity'))));
    const gateway = infra.track(await startGateway(loadConfig(gatewaySettings, infra.env('gateway'))));
    base = `http://127.0.0.1:${gateway.port}`;
  });
  afterAll(() => infra.stop());

  const call = async (method: string, path: string, query: Record<string, string | string[]> = {}, headers: Record<string, string> = {}) => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) for (const x of Array.isArray(v) ? v : [v]) qs.append(k, x);
    const res = await fetch(`${base}${path}${qs.size ? `?${qs}` : ''}`, { method, headers });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
  };
  const ok = { error: 0, message: '', global: expect.stringMatching(/^[1-9]\d*$/) };

  it('GET /am/{path}: protojson details with every field, the Status object with the revision in global', async () => {
    const r = await call('GET', '/am/user/hpe/bu1/alice', { caller_id: BOB });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(['children', 'details', 'error']);
    expect(r.json.error).toEqual(ok);
    expect(r.json.children).toEqual([]);
    expect(Object.keys(r.json.details).sort()).toEqual(['aces', 'annotations', 'inheritedAces', 'inheritedRoles', 'isDirectory', 'path', 'roles']);
    expect(r.json.details.roles[0]).toEqual({ role: '## Redacted role ##', tag: 'applied-role', unique: expect.stringMatching(/^\d+$/), version: '1', startMillis: '0', endMillis: '0' });
    expect(r.json.details.inheritedAces[0]).toMatchObject({ op: 'VIEW', local: false, agent: false, tag: 'ace', version: '1' });
    expect(r.json.details.annotations).toEqual([expect.objectContaining({ tag: 'principal', data: '' })]);
  });

  it('GET /details and include_children (any boolean spelling); errors in the body of a 200; bad booleans 400', async () => {
    const r = await call('GET', '/details', { path: 'am/user', includeChildren: 'T', callerId: ALICE });
    expect(r.json.children).toEqual(['am://user/hpe', 'am://user/small']);
    const hidden = await call('GET', '/details', { path: 'user/yoyodyne', caller_id: ALICE });
    expect(hidden.status).toBe(200);
    expect(hidden.json).toEqual({ details: null, children: [], error: { error: 1, message: 'object not found for am://user/yoyodyne', global: '0' } });
    const bad = await call('GET', '/details', { path: 'am://user', include_children: 'maybe', caller_id: ALICE });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 3, details: [] });
  });

  it('POST /am/{path} creates (version "1"), a repeat is an error in the body; DELETE /am/{path}', async () => {
    const created = await call('POST', '/am/data/compat', { asDirectory: 'true', caller_id: OPERATOR });
    expect(created.json).toEqual({ version: '1', error: ok });
    const again = await call('POST', '/am/data/compat', { asDirectory: 'true', caller_id: OPERATOR });
    expect(again.status).toBe(200);
    expect(again.json.error).toMatchObject({ error: 1, message: expect.stringContaining('already exists') });
    expect((await call('POST', '/am/data/alice-was-here', { caller_id: ALICE })).json.error).toMatchObject({ error: 1, message: expect.stringContaining('permission denied') });
    expect((await call('DELETE', '/am/data/compat', { caller_id: OPERATOR })).json.error).toEqual(ok);
  });

  it('POST /annotate (universe JSON and the legacy CLI shape), DELETE /annotate by tag/unique and the swagger URL', async () => {
    await call('POST', '/am/data/notes', { caller_id: OPERATOR });
    const added = await call('POST', '/annotate', { path: 'am://data/notes', annotation: '{"tag":"note","data":"hello"}', caller_id: OPERATOR });
    expect(added.json).toEqual({ error: ok });
    const seen = await call('GET', '/am/data/notes', { caller_id: OPERATOR });
    const note = seen.json.details.annotations.find((a: { tag: string }) => a.tag === 'note');
    expect(note).toMatchObject({ data: 'hello', version: '1' });
    const broken = await call('POST', '/annotate', { path: 'am://data/notes', annotation: '{"tag":', caller_id: OPERATOR });
    expect(broken.status).toBe(200);
    expect(broken.json.error).toMatchObject({ error: 1, message: expect.stringContaining('invalid annotation JSON') });
    const legacy = await call('POST', '/annotate', { path: BOB, annotation: '{"Tag":"applied-role","Meta":{"Version":-1,"Role":"am://role/hpe/bu1/bu1-query"}}', caller_id: ALICE });
    expect(legacy.json).toEqual({ error: ok });
    const removedLegacy = await call('DELETE', '/annotate', { path: BOB, annotation: '{"Tag":"applied-role","Meta":{"Role":"am://role/hpe/bu1/bu1-query"}}', caller_id: ALICE });
    expect(removedLegacy.json).toEqual({ error: ok });
    expect((await call('DELETE', '/annotate', { path: 'am://data/notes', tag: 'note', unique: note.unique, caller_id: OPERATOR })).json).toEqual({ error: ok });
    const missing = await call('DELETE', `/annotate/am/data/notes/note/${note.unique}`, { caller_id: OPERATOR });
    expect(missing.json.error).toMatchObject({ error: 1, message: `no note/${note.unique} annotation found on am://data/notes` });
  });

  it('Authorization: Bearer wins over caller_id; vouch, validate and signing keys', async () => {
    const viaHeader = await call('GET', '/details', { path: 'am://user', include_children: 'true', caller_id: ALICE }, { authorization: 'Bearer am://user/demo-god' });
    expect(viaHeader.json.children).toHaveLength(5);
    const vouched = await call('GET', '/credential', { path: 'am://user/yoyodyne/bob', caller_id: 'am://workload/yoyodyne/id-plugin' });
    expect(vouched.json.error).toEqual({ error: 0, message: '', global: expect.any(String) });
    expect(vouched.json.credential).toMatch(/^eyJ/);
    const refused = await call('GET', '/credential', { path: BOB, caller_id: ALICE });
    expect(refused.json).toMatchObject({ credential: '', error: { error: 1 } });
    // A missing parameter is the caller's mistake, said as such (compat-rest §3.3), not "internal error".
    const noPath = await call('GET', '/credential', { caller_id: 'am://workload/yoyodyne/id-plugin' });
    expect(noPath.json).toMatchObject({ credential: '', error: { error: 1, message: expect.stringContaining('invalid request') } });
    const valid = await call('GET', '/validate', { credential: vouched.json.credential });
    expect(valid.json).toMatchObject({ valid: true, error: { error: 0, message: 'credential is valid' } });
    expect(valid.json.info).toContain('"id": "am://user/yoyodyne/bob"');
    // A tampered JWT as the caller is refused by the gateway itself, with the verifier's reason.
    const tampered = vouched.json.credential.slice(0, -4) + (vouched.json.credential.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await call('GET', '/details', { path: 'am://user', caller_id: tampered })).json.error).toMatchObject({ error: 1, message: 'crypto/ecdsa: verification error' });
    const invalid = await call('GET', '/validate', { credential: 'am://user/yoyodyne/bob' });
    expect(invalid.json).toMatchObject({ valid: false, info: '', error: { error: 1 } });
    const keys = await call('GET', '/signingkeys');
    expect(Object.values(keys.json.keys)[0]).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it('routes and methods the reference does not serve; /bootstrap on a tree; /health', async () => {
    expect(await call('GET', '/nope')).toMatchObject({ status: 404, json: { code: 5, message: 'Not Found', details: [] } });
    expect(await call('PUT', '/details')).toMatchObject({ status: 501, json: { code: 12, message: 'Method Not Allowed', details: [] } });
    expect((await call('POST', '/accessmanager.AccessManager/CreateDirectory')).status).toBe(501);
    expect((await call('POST', '/bootstrap', { boot: 'new_sample' })).json.error).toMatchObject({ error: 1, message: expect.stringContaining('data already exists') });
    expect((await call('POST', '/bootstrap', { boot: 'nope' })).json.error.message).toContain('data not found, try one of');
    expect(await call('GET', '/health')).toMatchObject({ status: 200, text: '' });
  });
});
