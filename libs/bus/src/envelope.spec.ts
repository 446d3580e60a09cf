import { ConflictError } from '@am/model';
import { z } from 'zod';
import { contract } from './contracts';
import { handler, runHandler } from './envelope';

const double = contract('am.test.double', z.object({ n: z.number().int() }).strict(), z.object({ doubled: z.number().int() }));

describe('runHandler', () => {
  const internal: unknown[] = [];
  const run = (fn: (n: number) => unknown, raw: unknown) =>
    runHandler(handler(double, ({ n }) => fn(n) as { doubled: number }), raw, (e) => internal.push(e));
  beforeEach(() => (internal.length = 0));

  it('wraps the reply', async () => {
    await expect(run((n) => ({ doubled: n * 2 }), { n: 2 })).resolves.toEqual({ ok: true, value: { doubled: 4 } });
  });

  it('refuses a request outside the contract as invalid-argument, naming the field', async () => {
    const reply = await run(() => ({ doubled: 0 }), { n: 'two' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(!reply.ok && reply.error.message).toMatch(/^invalid request: n: /);
  });

  it('passes typed errors through with their code and message', async () => {
    await expect(
      run(() => {
        throw new ConflictError('version mismatch');
      }, { n: 1 }),
    ).resolves.toEqual({ ok: false, error: { code: 'conflict', message: 'version mismatch' } });
  });

  it('hides unexpected errors and bad replies behind "internal error" and reports them', async () => {
    const thrown = await run(() => {
      throw new TypeError('secret detail');
    }, { n: 1 });
    expect(thrown).toEqual({ ok: false, error: { code: 'internal', message: 'internal error' } });
    const bad = await run(() => ({ doubled: 'x' }), { n: 1 });
    expect(bad).toEqual({ ok: false, error: { code: 'internal', message: 'internal error' } });
    expect(internal).toHaveLength(2);
  });
});
