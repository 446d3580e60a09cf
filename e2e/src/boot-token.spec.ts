import { startStack, type TestStack } from './stack';

describe('boot over REST on a gateway without a bootstrap token (universe-format §7, compat-rest §4.1)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ bootUniverse: 'none', bootstrapToken: false });
  });
  afterAll(() => stack?.stop());

  it('refuses it on both routes, with any token or none, and the store stays empty', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${stack.bootstrapToken}` }];
    for (const headers of attempts) {
      const v1 = await fetch(`${stack.gatewayUrl}/v1/universe?name=bootstrap`, { method: 'POST', headers });
      expect(v1.status).toBe(401);
      expect(((await v1.json()) as { detail: string }).detail).toBe('boot is disabled on this endpoint');
      const compat = await fetch(`${stack.gatewayUrl}/bootstrap?boot=bootstrap`, { method: 'POST', headers });
      expect(((await compat.json()) as { error: unknown }).error).toMatchObject({ error: 1, message: 'boot is disabled on this endpoint' });
    }
    const root = await fetch(`${stack.gatewayUrl}/v1/nodes/user`, { headers: { authorization: 'Bearer am://user/the-operator' } });
    expect([root.status, ((await root.json()) as { detail: string }).detail]).toEqual([401, 'invalid credential']);
  });
});
