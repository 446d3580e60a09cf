import { AuditBacklog } from './audit-backlog';

describe('AuditBacklog', () => {
  it('hands out the oldest first and knows since when the oldest waits', () => {
    const b = new AuditBacklog<string>();
    expect(b.oldest()).toBeUndefined();
    b.add('a', 10);
    b.add('b', 20);
    b.add('c', 30);
    expect(b.take(2)).toEqual({ items: ['a', 'b'], times: [10, 20] });
    // What remains is judged by its own age, not by when the backlog began.
    expect(b.oldest()).toBe(30);
    expect(b.size).toBe(1);
  });

  it('puts failed batches back in time order, whatever order they fail in', () => {
    const b = new AuditBacklog<string>();
    for (const [item, at] of [['a', 1], ['b', 2], ['c', 3], ['d', 4], ['e', 5]] as const) b.add(item, at);
    const older = b.take(2);
    const newer = b.take(2);
    b.add('f', 6);
    // The newer batch fails first, then the older one.
    b.putBack(newer);
    expect(b.oldest()).toBe(3);
    b.putBack(older);
    expect(b.oldest()).toBe(1);
    expect(b.take(10)).toEqual({ items: ['a', 'b', 'c', 'd', 'e', 'f'], times: [1, 2, 3, 4, 5, 6] });
    b.putBack({ items: [], times: [] });
    expect(b.size).toBe(0);
  });
});
