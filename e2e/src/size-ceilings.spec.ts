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
});
