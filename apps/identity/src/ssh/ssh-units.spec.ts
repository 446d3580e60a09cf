import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOfferedKey, parseAuthorizedKey } from '@am/crypto';
import { FailureLimiter } from './failure-limiter';
import { generateHostKey } from './host-key';
import { utils } from 'ssh2';

describe('authorized_keys lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'am-authkeys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const keygen = (type: string, bits?: string) => {
    const file = join(dir, `${type}${bits ?? ''}`);
    execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', bits] : []), '-N', '', '-C', 'someone@example', '-f', file]);
    return readFileSync(`${file}.pub`, 'utf8').trim();
  };
  const keys = { ed25519: keygen('ed25519'), ecdsa: keygen('ecdsa', '256'), ecdsa384: keygen('ecdsa', '384'), rsa: keygen('rsa', '2048') };
  const blob = (line: string) => Buffer.from(line.split(' ')[1], 'base64');

  it.each(Object.entries(keys))('reads %s keys made by ssh-keygen', (_type, line) => {
    const key = parseAuthorizedKey(line);
    expect(key?.type).toBe(line.split(' ')[0]);
    expect(key?.blob.equals(blob(line))).toBe(true);
  });

  it('ignores options and comments, and matches by key bytes only', () => {
    const withOptions = `from="10.0.0.0/8,192.168.1.1",no-pty,command="echo a b" ${keys.ecdsa}`;
    expect(parseAuthorizedKey(withOptions)?.blob.equals(blob(keys.ecdsa))).toBe(true);
    expect(findOfferedKey([keys.rsa, withOptions], blob(keys.ecdsa))?.type).toBe('ecdsa-sha2-nistp256');
    expect(findOfferedKey([keys.rsa, keys.ed25519], blob(keys.ecdsa))).toBeUndefined();
  });

  it('skips what is not exactly one usable key', () => {
    expect(parseAuthorizedKey(`${keys.ed25519}\n${keys.rsa}`)).toBeUndefined();
    expect(parseAuthorizedKey('')).toBeUndefined();
    expect(parseAuthorizedKey('ssh-ed25519 not-base64!')).toBeUndefined();
    expect(parseAuthorizedKey('ssh-dss AAAAB3NzaC1kc3MAAACBAP')).toBeUndefined();
    // The type named on the line must be the type inside the blob.
    expect(parseAuthorizedKey(`ssh-rsa ${keys.ed25519.split(' ')[1]}`)).toBeUndefined();
  });
});

describe('failed-login limiter', () => {
  it('blocks an address after maxFailures within the window, and forgets them as the window moves', () => {
    let now = 0;
    const limiter = new FailureLimiter(3, 60, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.blocked('10.0.0.1')).toBe(false);
      limiter.fail('10.0.0.1');
      now += 1000;
    }
    expect(limiter.blocked('10.0.0.1')).toBe(true);
    expect(limiter.blocked('10.0.0.2')).toBe(false);
    now = 60_001; // the first failure left the window
    expect(limiter.blocked('10.0.0.1')).toBe(false);
    now = 200_000;
    expect(limiter.blocked('10.0.0.1')).toBe(false);
    expect(limiter.tracked).toBe(0);
  });

  it('bounds the addresses it remembers, and 0 means no limit', () => {
    const limiter = new FailureLimiter(1, 60, () => 0, 2);
    for (const a of ['a', 'b', 'c']) limiter.fail(a);
    expect(limiter.tracked).toBe(2);
    expect(limiter.blocked('a')).toBe(false);
    expect(limiter.blocked('c')).toBe(true);
    const off = new FailureLimiter(0, 60);
    off.fail('x');
    expect(off.blocked('x')).toBe(false);
  });
});

describe('ssh host key generation', () => {
  it('only hands out keys that parse (ssh2 mangles about 1 in 256 of the keys it generates)', () => {
    // 2,000 draws meet a mangled key with a probability of 1 - (255/256)^2000, above 99.9 %.
    for (let i = 0; i < 2000; i++) {
      const parsed = utils.parseKey(generateHostKey());
      expect(parsed).not.toBeInstanceOf(Error);
      expect((parsed as { type: string }).type).toBe('ssh-ed25519');
    }
  });
});
