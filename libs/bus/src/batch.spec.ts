import { jsonBytesBound } from './batch';

describe('jsonBytesBound', () => {
  it('is never below the real size of the JSON, however the strings escape', () => {
    const values: unknown[] = [
      '',
      'plain',
      '"\\\u0000\u001f\u2028',
      '\u{1F600}é漢',
      'x'.repeat(1000),
      -1.2345678901234567e-308,
      Number.MAX_SAFE_INTEGER,
      true,
      null,
      [],
      {},
      [1, 'a', [null, { '"': '\u0001' }]],
      { credential: 'eyJhbGciOiJFUzI1NiJ9.e30.sig', principal: 'am://user/yoyodyne/bob', allowSelf: false, skipped: undefined },
    ];
    for (const v of values) expect(jsonBytesBound(v)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(v) ?? ''));
  });

  it('grows with what it measures', () => {
    expect(jsonBytesBound({ s: 'x'.repeat(100) })).toBeGreaterThan(jsonBytesBound({ s: 'x' }));
    expect(jsonBytesBound([1, 2, 3])).toBeGreaterThan(jsonBytesBound([1]));
  });
});
