import { bootAllowed } from './bootstrap-token';

describe('bootAllowed', () => {
  const token = 'a-bootstrap-token-of-some-length';
  it('opens boot only to the configured token', () => {
    expect(bootAllowed(token, token)).toBe(true);
    expect(bootAllowed(token, `${token}x`)).toBe(false);
    expect(bootAllowed(token, token.slice(0, -1))).toBe(false);
    expect(bootAllowed(token, '')).toBe(false);
    expect(bootAllowed(token, undefined)).toBe(false);
  });
  it('refuses everyone when no token is configured', () => {
    expect(bootAllowed(undefined, undefined)).toBe(false);
    expect(bootAllowed(undefined, token)).toBe(false);
    expect(bootAllowed(undefined, '')).toBe(false);
  });
});
