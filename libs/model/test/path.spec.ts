import { ancestors, InvalidPathError, isAncestorOrSelf, isValidPath, MAX_PATH_BYTES, parentPath, parsePath, pathDepth, prefixes } from '@am/model';

describe('path grammar (access-model §1.1)', () => {
  test.each([
    ['am://', 'am://'],
    ['am://user', 'am://user'],
    ['am://user/', 'am://user'],
    ['am://user/hpe/fang_bob', 'am://user/hpe/fang_bob'],
    ['am://data/a.b~c-d', 'am://data/a.b~c-d'],
    ['am://role/x/', 'am://role/x'],
  ])('accepts %s as %s', (input, normalised) => {
    expect(parsePath(input)).toBe(normalised);
  });

  test.each([
    ['', 'must start with am://'],
    ['user/hpe', 'must start with am://'],
    ['am://foo', 'first component'],
    ['am://key/x', 'first component'],
    ['am://user//hpe', 'empty component'],
    ['am://user/hpe//', 'empty component'],
    ['am://user/..', 'only of dots'],
    ['am://user/.', 'only of dots'],
    ['am://user/a b', 'characters outside'],
    ['am://user/a%20b', 'characters outside'],
    ['am://user/a?x=1', 'query'],
    ['am://user/a#frag', 'fragment'],
    ['am://user/é', 'characters outside'],
    [`am://user/${'a/'.repeat(31)}a`, 'more than 32 components'],
    [`am://data/${'x'.repeat(MAX_PATH_BYTES)}`, 'longer than 1024 bytes'],
  ])('rejects %j with a typed invalid-path error', (input, reason) => {
    let error: unknown;
    try {
      parsePath(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidPathError);
    expect((error as InvalidPathError).code).toBe('invalid-argument');
    expect((error as Error).message).toContain(reason);
  });

  test('32 components are accepted', () => {
    expect(isValidPath(`am://user/${'a/'.repeat(30)}a`)).toBe(true);
  });
});

describe('prefixes, ancestors, parent (§1.2)', () => {
  test('prefixes', () => {
    expect(prefixes('am://user/hpe/bu1/alice')).toEqual(['am://', 'am://user', 'am://user/hpe', 'am://user/hpe/bu1', 'am://user/hpe/bu1/alice']);
    expect(prefixes('am://')).toEqual(['am://']);
    expect(prefixes('am://data')).toEqual(['am://', 'am://data']);
  });
  test('ancestors and parent', () => {
    expect(ancestors('am://data')).toEqual(['am://']);
    expect(parentPath('am://')).toBe('am://');
    expect(parentPath('am://data')).toBe('am://');
    expect(parentPath('am://user/hpe/bu1')).toBe('am://user/hpe');
    expect(pathDepth('am://')).toBe(0);
    expect(pathDepth('am://user/hpe')).toBe(2);
  });
  test('prefixes are component-wise', () => {
    expect(isAncestorOrSelf('am://user/hpe', 'am://user/hpe-labs')).toBe(false);
    expect(isAncestorOrSelf('am://user/hpe', 'am://user/hpe/x')).toBe(true);
    expect(isAncestorOrSelf('am://', 'am://user')).toBe(true);
  });
});
