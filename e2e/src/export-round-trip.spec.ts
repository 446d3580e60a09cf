import { api } from './pki-peers';
import { startStack, type TestStack } from './stack';

const OPERATOR = 'am://user/the-operator';
const DEMO_GOD = 'am://user/demo-god';

/**
 * Issue 18 #4, as found: new_sample exported by demo-god (who sees everything there is) could not
 * be imported again: `invalid path "## Redacted role ##"`, from charlie's dangling role. Now the
 * import drops what the export had to redact, says so, and the tree exports again the same.
 */
describe('an export imports again (REST, real stack)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('new_sample exported by demo-god replaces the tree, naming what it dropped, and exports to the same document less that', async () => {
    const first = await api(stack.gatewayUrl, 'GET', '/v1/universe', { as: DEMO_GOD });
    expect(first.status).toBe(200);
    expect(first.text).toContain('## Redacted role ##');
    const loaded = await api(stack.gatewayUrl, 'POST', '/v1/universe?force=true', { as: OPERATOR, raw: first.text });
    expect(loaded.status).toBe(200);
    expect(loaded.json.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^am:\/\/user\/yoyodyne\/charlie: applied role \d+ was redacted in the export it came from: not applied$/)]));
    const again = await api(stack.gatewayUrl, 'GET', '/v1/universe', { as: DEMO_GOD });
    expect(again.text).not.toContain('## Redacted role ##');
    const dropRedacted = (text: string) =>
      JSON.parse(text, (key, value) => (key === 'meta' && Array.isArray(value) ? value.filter((a: { role?: string }) => a.role !== '## Redacted role ##') : value));
    expect(JSON.parse(again.text)).toEqual(dropRedacted(first.text));
  });
});
