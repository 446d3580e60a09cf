import { waitFor } from '@am/testing';
import { api } from './pki-peers';
import { startStack, type TestStack } from './stack';

const OPERATOR = 'am://user/the-operator';
const NODE = 'am://data/big';
const NOTE = 100 * 1024;

/**
 * Issue 18, as found: after eleven 100 KB notes on one node (each well inside the annotation
 * limit), its details, its history and the whole-tree export answered 500 for everyone, because
 * each answer was one NATS message and NATS refuses those over 1 MiB. Now a large answer travels
 * in parts, and each of them is 200 and complete.
 */
describe('answers larger than one NATS message', () => {
  let stack: TestStack;
  const notes = Array.from({ length: 11 }, (_, i) => `${String(i).padStart(2, '0')}:${'x'.repeat(NOTE - 3)}`);

  beforeAll(async () => {
    stack = await startStack();
    expect((await api(stack.gatewayUrl, 'PUT', '/v1/nodes/data/big', { as: OPERATOR, body: { kind: 'leaf' } })).status).toBe(201);
    for (const data of notes) {
      const r = await api(stack.gatewayUrl, 'POST', '/v1/nodes/data/big/annotations', { as: OPERATOR, body: { tag: 'note', data } });
      expect(r.status).toBe(200);
    }
  }, 60_000);
  afterAll(() => stack?.stop());

  it('details of the node: 200, every note whole', async () => {
    const r = await api(stack.gatewayUrl, 'GET', '/v1/nodes/data/big', { as: OPERATOR });
    expect(r.status).toBe(200);
    expect(r.text.length).toBeGreaterThan(11 * NOTE);
    expect((r.json.annotations as { data: string }[]).map((a) => a.data).filter((d) => d.length === NOTE).sort()).toEqual(notes);
  });

  it('its history: 200, every write with its note', async () => {
    const r = await api(stack.gatewayUrl, 'GET', `/v1/history?path=${encodeURIComponent(NODE)}`, { as: OPERATOR });
    expect(r.status).toBe(200);
    const written = (r.json.events as { kind: string; after?: { data?: string } }[]).filter((e) => e.kind === 'put-annotation').map((e) => e.after?.data);
    expect(written.sort()).toEqual(notes);
  });

  it('the whole-tree export (the operator’s backup): 200, and it holds every note', async () => {
    const r = await api(stack.gatewayUrl, 'GET', '/v1/universe', { as: OPERATOR });
    expect(r.status).toBe(200);
    for (const n of notes) expect(r.text.includes(n)).toBe(true);
    expect(JSON.parse(r.text)).toMatchObject({ path: 'am://' });
  });

  it('a universe file larger than one NATS message (and than the default body limit) loads through REST', async () => {
    const exported = JSON.parse((await api(stack.gatewayUrl, 'GET', '/v1/universe', { as: OPERATOR })).text);
    const users = exported.children.find((c: { path: string }) => c.path === 'am://user');
    const bulk = Array.from({ length: 20_000 }, (_, i) => ({ path: `am://user/bulk/p${i}`, meta: [{ tag: 'leaf' }, { tag: 'principal' }], children: null }));
    users.children.push({ path: 'am://user/bulk', meta: [], children: bulk });
    const text = JSON.stringify(exported);
    expect(text.length).toBeGreaterThan(2.5 * 1024 * 1024);
    const r = await api(stack.gatewayUrl, 'POST', '/v1/universe?force=true', { as: OPERATOR, raw: text });
    expect([r.status, r.json?.mode]).toEqual([200, 'import']);
    // Loading a 20k-node snapshot can outlast the reply's bounded wait on a busy machine.
    await waitFor('policy to load the new tree', async () => (await api(stack.gatewayUrl, 'GET', '/v1/nodes/user/bulk', { as: OPERATOR })).status === 200, 30_000);
    const listed = await api(stack.gatewayUrl, 'GET', '/v1/nodes/user/bulk', { as: OPERATOR });
    expect(listed.json.children).toHaveLength(20_000);
    // The notes came along in the same file.
    expect((await api(stack.gatewayUrl, 'GET', '/v1/nodes/data/big', { as: OPERATOR })).json.annotations.filter((a: { tag: string }) => a.tag === 'note')).toHaveLength(11);
  }, 120_000);

  it('pages 20k children with writes in between: every child of the first page\'s revision once, none twice, none missing', async () => {
    const everything = (await api(stack.gatewayUrl, 'GET', '/v1/nodes/user/bulk', { as: OPERATOR })).json.children as string[];
    expect(everything).toHaveLength(20_000);
    const pages: string[][] = [];
    let next: string | undefined;
    let first = true;
    while (first || next) {
      const r = await api(stack.gatewayUrl, 'GET', `/v1/nodes/user/bulk?limit=2500${next ? `&cursor=${next}` : ''}`, { as: OPERATOR });
      expect(r.status).toBe(200);
      pages.push(r.json.children);
      next = r.json.next;
      if (first) {
        // Meanwhile: a child that sorts before every page to come, and one removed from a page to come.
        expect((await api(stack.gatewayUrl, 'PUT', '/v1/nodes/user/bulk/a-new', { as: OPERATOR, body: { kind: 'leaf' } })).status).toBe(201);
        expect((await api(stack.gatewayUrl, 'DELETE', '/v1/nodes/user/bulk/p9999', { as: OPERATOR })).status).toBe(200);
      }
      first = false;
    }
    expect(pages).toHaveLength(8);
    expect(pages.flat()).toEqual(everything);
    const now = (await api(stack.gatewayUrl, 'GET', '/v1/nodes/user/bulk', { as: OPERATOR })).json.children as string[];
    expect(now).toContain('am://user/bulk/a-new');
    expect(now).not.toContain('am://user/bulk/p9999');
    // what-can pages the same way, at the first page's revision.
    const whatCan = `/v1/what-can?principal=${encodeURIComponent(OPERATOR)}&op=VIEW&under=am://user/bulk`;
    const all = (await api(stack.gatewayUrl, 'GET', whatCan, { as: OPERATOR })).json.paths as string[];
    expect(all.length).toBeGreaterThan(19_000);
    const paths: string[] = [];
    let cursor: string | undefined;
    let pageCount = 0;
    do {
      const r = await api(stack.gatewayUrl, 'GET', `${whatCan}&limit=5000${cursor ? `&cursor=${cursor}` : ''}`, { as: OPERATOR });
      expect(r.status).toBe(200);
      paths.push(...r.json.paths);
      cursor = r.json.next;
      if (pageCount++ === 0) {
        expect((await api(stack.gatewayUrl, 'PUT', '/v1/nodes/user/bulk/a-newer', { as: OPERATOR, body: { kind: 'leaf' } })).status).toBe(201);
        expect((await api(stack.gatewayUrl, 'DELETE', '/v1/nodes/user/bulk/p9998', { as: OPERATOR })).status).toBe(200);
      }
    } while (cursor);
    expect(pageCount).toBe(Math.ceil(all.length / 5000));
    expect(paths).toEqual(all);
    const bad = await api(stack.gatewayUrl, 'GET', '/v1/nodes/user/bulk?cursor=x', { as: OPERATOR });
    expect([bad.status, bad.json.detail]).toEqual([400, expect.stringContaining('is not a cursor this API gave out')]);
  }, 120_000);
});
