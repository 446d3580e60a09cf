import { withDeadline } from './deadline';

describe('withDeadline', () => {
  it('settles as the work does when it finishes first', async () => {
    await expect(withDeadline(Promise.resolve(7), 1000, () => new Error('late'))).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('boom')), 1000, () => new Error('late'))).rejects.toThrow('boom');
  });

  it('rejects with the timeout error when the work never settles', async () => {
    await expect(withDeadline(new Promise(() => undefined), 10, () => new Error('late'))).rejects.toThrow('late');
  });
});
