import { annotationFromJson, annotationToJson, isValidTag, newUnique, parseDataInfo, parseInt64, MAX_NEW_UNIQUE, nextVersion, checkExpectedVersion } from '@am/model';

describe('annotation JSON (universe-format §2)', () => {
  test('ACE with string int64s and op by name', () => {
    const a = annotationFromJson({ tag: 'ace', op: 'VIEW', unique: '98637987', startMillis: '0', endMillis: 5, acls: [{ roles: ['am://role/x/'] }] });
    expect(a).toEqual({ tag: 'ace', op: 3, local: false, agent: false, unique: 98637987n, version: 0, startMillis: 0, endMillis: 5, acls: [{ roles: ['am://role/x'] }] });
  });

  test('null ACLs and null roles mean empty', () => {
    expect(annotationFromJson({ tag: 'ace', op: 4, acls: null })).toMatchObject({ acls: [] });
    expect(annotationFromJson({ tag: 'ace', op: 4, acls: [{ roles: null }] })).toMatchObject({ acls: [{ roles: [] }] });
  });

  test('int64 uniques above 2^53 are kept exactly', () => {
    expect(annotationFromJson({ tag: 'note', unique: '9223372036854775807', data: 'x' }).unique).toBe(9223372036854775807n);
    expect(() => parseInt64('9223372036854775808')).toThrow(/64-bit/);
  });

  test.each([
    [{ tag: 'ace', op: 'INVALID', acls: [] }, /invalid operation/],
    [{ tag: 'ace', op: 0, acls: [] }, /invalid operation/],
    [{ tag: 'ace', op: 'READ', acls: [], extra: 1 }, /extra/],
    [{ tag: 'ace', op: 'READ', local: 'yes' }, /local/],
    [{ tag: 'applied-role', role: 'am://nope' }, /invalid path/],
    [{ tag: 'leaf', data: 'x' }, /cannot carry data/],
    [{ tag: 'ssh_pubkey', data: 'x' }, /invalid tag/],
    [{ tag: 'Note', data: 'x' }, /invalid tag/],
    [{ tag: 'note', data: 3 }, /data/],
    [{ tag: 'note', unique: 1.5 }, /unique/],
    ['not an object', /JSON object/],
  ])('rejects %j', (json, message) => {
    expect(() => annotationFromJson(json)).toThrow(message);
  });

  test('tag syntax: digits and dashes accepted, at most 64 characters', () => {
    expect(isValidTag('s3-info')).toBe(true);
    expect(isValidTag('a'.repeat(64))).toBe(true);
    expect(isValidTag('a'.repeat(65))).toBe(false);
    expect(isValidTag('9lives')).toBe(false);
  });

  test('export form has every header member as decimal strings', () => {
    const a = annotationFromJson({ tag: 'applied-role', role: 'am://role/r', unique: 7 });
    expect(annotationToJson(a)).toEqual({ tag: 'applied-role', unique: '7', version: '0', startMillis: '0', endMillis: '0', role: 'am://role/r' });
  });
});

describe('uniques and versions (§2.1, §2.4)', () => {
  test('new uniques are 53-bit and never 0', () => {
    let calls = 0;
    const zeroesFirst = () => (calls++ < 2 ? 0 : 1); // the first draw is 0 and must be redrawn
    expect(newUnique(zeroesFirst)).toBe((1n << 32n) | 1n);
    expect(newUnique(() => 0xffffffff)).toBe(MAX_NEW_UNIQUE);
    for (let i = 0; i < 100; i++) {
      const u = newUnique();
      expect(u > 0n && u <= MAX_NEW_UNIQUE).toBe(true);
    }
  });

  test.each([
    [undefined, 0, 1],
    [undefined, -1, 1],
    [3, -1, 4],
    [3, 3, 4],
  ])('current %p requested %p → %p', (current, requested, next) => {
    expect(nextVersion(current, requested, () => 'x')).toBe(next);
  });

  test('conflicts', () => {
    expect(() => nextVersion(1, 0, () => 'annotation ace/1 on am://user')).toThrow(expect.objectContaining({ code: 'already-exists', message: 'annotation ace/1 on am://user already exists' }));
    expect(() => nextVersion(2, 1, () => 'x')).toThrow(expect.objectContaining({ code: 'conflict', message: expect.stringContaining('version mismatch') }));
    expect(() => nextVersion(undefined, 4, () => 'x')).toThrow(/version mismatch/);
    expect(() => nextVersion(undefined, -2, () => 'x')).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => checkExpectedVersion(2, 1, () => 'x')).toThrow(/version mismatch/);
    expect(() => checkExpectedVersion(2, undefined, () => 'x')).not.toThrow();
  });
});

describe('data-info (§10.1)', () => {
  test('accepts the alias and ignores unknown fields', () => {
    expect(parseDataInfo('{"delegated_attributes":["am://role/a"],"x":1}', 'am://data/d').delegatedAttributes).toEqual(['am://role/a']);
    expect(parseDataInfo('{}', 'am://data/d').delegatedAttributes).toEqual([]);
  });
  test('invalid JSON is a failed precondition', () => {
    expect(() => parseDataInfo('{', 'am://data/d')).toThrow(expect.objectContaining({ code: 'failed-precondition' }));
  });
});
