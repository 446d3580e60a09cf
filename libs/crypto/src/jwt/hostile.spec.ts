import { createHmac, sign } from 'node:crypto';
import { InvalidCredentialError, InvalidCredentialReason } from './errors';
import { issueCredential } from './issue';
import { generateSigningKey } from './signing-key';
import { AcceptedKind, verifyCredential } from './verify';

const NOW = 1_750_000_000;
const signingKey = generateSigningKey(NOW + 6 * 3600);
const otherKey = generateSigningKey(NOW + 6 * 3600);
const keys = new Map([[signingKey.expiry, signingKey]]);
const KID = String(signingKey.expiry);

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const es256 = (input: string, key = signingKey.privateKey) => sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
const validClaims = () => ({
  iss: 'access-manager',
  sub: 'id',
  aud: ['access-manager'],
  exp: NOW + 1800,
  nbf: NOW - 300,
  iat: NOW,
  key: signingKey.expiry,
  id: 'am://user/alice',
  roles: null as string[] | null,
});
/** A correctly ES256-signed token with whatever header and claims a forger chooses. */
function forge(claims: object = validClaims(), header: object = { alg: 'ES256', typ: 'JWT', kid: KID }, key = signingKey.privateKey): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${es256(input, key)}`;
}

function refusal(token: string, options: { now?: number; accept?: AcceptedKind } = {}): { reason: InvalidCredentialReason; message: string } {
  try {
    verifyCredential(token, { keys, now: options.now ?? NOW, accept: options.accept ?? 'login' });
  } catch (err) {
    if (err instanceof InvalidCredentialError) return { reason: err.reason, message: err.message };
    throw err;
  }
  throw new Error('token was accepted');
}

describe('hostile credentials are refused with the right reason', () => {
  it('the forging helper itself makes acceptable tokens', () => {
    expect(verifyCredential(forge(), { keys, now: NOW, accept: 'login' }).claims.id).toBe('am://user/alice');
  });

  describe('algorithm confusion', () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(validClaims())}`;
    it.each([
      ['alg none with a junk signature', `${unsigned}.${b64('x')}`],
      ['alg NONE', `${b64({ alg: 'NONE' })}.${b64(validClaims())}.${b64('x')}`],
      ['HS256 keyed with the public key PEM', hs256(signingKey.publicKey.export({ format: 'pem', type: 'spki' }).toString())],
      ['HS256 keyed with the public key DER', hs256(signingKey.publicKey.export({ format: 'der', type: 'spki' }))],
      ['RS256', `${b64({ alg: 'RS256', kid: KID })}.${b64(validClaims())}.${b64('sig')}`],
      ['ES384', `${b64({ alg: 'ES384', kid: KID })}.${b64(validClaims())}.${b64('sig')}`],
      ['lower-case es256', forge(validClaims(), { alg: 'es256', kid: KID })],
      ['no alg at all', forge(validClaims(), { kid: KID })],
    ])('%s', (_case, token) => {
      expect(refusal(token).reason).toBe('unsupported-algorithm');
    });

    it('alg none with an empty signature fails the syntax check', () => {
      expect(refusal(`${unsigned}.`)).toEqual({ reason: 'malformed', message: 'invalid credential: not a JWT (three base64url segments)' });
    });

    function hs256(secret: string | Buffer): string {
      const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: KID })}.${b64(validClaims())}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    }
  });

  describe('signing key', () => {
    it.each([
      ['unknown kid', forge({ ...validClaims(), key: 1750000001 }, { alg: 'ES256', kid: '1750000001' })],
      ['unknown key claim, no kid', forge({ ...validClaims(), key: 1750000001 }, { alg: 'ES256' })],
      ['neither kid nor key claim', forge({ ...validClaims(), key: undefined }, { alg: 'ES256' })],
      ['non-canonical kid', forge(validClaims(), { alg: 'ES256', kid: `0${KID}` })],
      ['kid of the wrong type', forge(validClaims(), { alg: 'ES256', kid: signingKey.expiry })],
      ['key claim as a string', forge({ ...validClaims(), key: KID }, { alg: 'ES256' })],
    ])('%s → key not found', (_case, token) => {
      expect(refusal(token)).toEqual({ reason: 'key-not-found', message: 'key not found' });
    });

    it('a kid and key claim naming different keys', () => {
      expect(refusal(forge({ ...validClaims(), key: 1750000001 })).reason).toBe('malformed');
    });

    it('an expired key, even for a token that has not expired', () => {
      const token = forge({ ...validClaims(), exp: signingKey.expiry + 3600 });
      expect(refusal(token, { now: signingKey.expiry + 1 })).toEqual({ reason: 'key-expired', message: 'key has already expired' });
    });
  });

  describe('signature', () => {
    const valid = forge();
    const [header, payload, signature] = valid.split('.');
    const tamperedClaims = { ...validClaims(), id: 'am://user/the-operator' };
    it.each([
      ['tampered payload (another principal, signature kept)', `${header}.${b64(tamperedClaims)}.${signature}`],
      ['tampered payload (roles flipped to a login, signature kept)', `${header}.${b64({ ...validClaims(), exp: NOW + 99999 })}.${signature}`],
      ['one signature byte flipped', `${header}.${payload}.${flipFirstByte(signature)}`],
      ['truncated signature', valid.slice(0, -10)],
      ['r = s = 0 ("psychic signature", CVE-2022-21449)', `${header}.${payload}.${Buffer.alloc(64).toString('base64url')}`],
      ['DER-encoded signature instead of r‖s', `${header}.${payload}.${sign('sha256', Buffer.from(`${header}.${payload}`), signingKey.privateKey).toString('base64url')}`],
      ['signed by another key under our kid', forge(validClaims(), undefined, otherKey.privateKey)],
    ])('%s', (_case, token) => {
      expect(refusal(token)).toEqual({ reason: 'bad-signature', message: 'crypto/ecdsa: verification error' });
    });

    function flipFirstByte(segment: string): string {
      const bytes = Buffer.from(segment, 'base64url');
      bytes[0] ^= 1;
      return bytes.toString('base64url');
    }
  });

  describe('times', () => {
    it('expired', async () => {
      const token = await issueCredential({ key: signingKey, principal: 'am://user/alice', kind: 'login', lifetimeSec: 60, now: NOW });
      expect(refusal(token, { now: NOW + 60 + 182 })).toEqual({ reason: 'expired', message: 'token is expired by 3m2s' });
      expect(refusal(token, { now: NOW + 60 }).message).toBe('token is expired by 0s');
    });

    it('not yet valid (nbf one second ahead), accepted from nbf on', () => {
      const token = forge({ ...validClaims(), nbf: NOW + 1, iat: NOW });
      expect(refusal(token)).toEqual({ reason: 'not-yet-valid', message: 'token is not valid yet' });
      expect(verifyCredential(token, { keys, now: NOW + 1, accept: 'login' }).claims.nbf).toBe(NOW + 1);
    });

    it('issued more than 60 s in the future', () => {
      const token = forge({ ...validClaims(), nbf: NOW - 300, iat: NOW + 61 });
      expect(refusal(token)).toEqual({ reason: 'issued-in-future', message: 'token used before issued' });
    });

    it.each([
      ['exp', { exp: `${NOW + 60}` }],
      ['nbf', { nbf: undefined }],
      ['iat', { iat: null }],
    ])('%s missing or not a number', (_claim, change) => {
      expect(refusal(forge({ ...validClaims(), ...change })).reason).toBe('invalid-claims');
    });
  });

  describe('issuer and audience', () => {
    it.each([
      ['wrong iss', { iss: 'evil' }, 'wrong-issuer', 'token has invalid issuer'],
      ['missing iss', { iss: undefined }, 'wrong-issuer', 'token has invalid issuer'],
      ['wrong aud', { aud: ['other-service'] }, 'wrong-audience', 'token has invalid audience'],
      ['aud of the wrong type', { aud: { 0: 'access-manager' } }, 'wrong-audience', 'token has invalid audience'],
    ])('%s', (_case, change, reason, message) => {
      expect(refusal(forge({ ...validClaims(), ...change }))).toEqual({ reason, message });
    });
  });

  describe('principal', () => {
    it.each([['am://role/admin'], ['am://data/x'], ['am://user'], ['am://user/'], ['am://users/x'], ['alice'], [42], [undefined]])('id %p', (id) => {
      expect(refusal(forge({ ...validClaims(), id }))).toEqual({ reason: 'invalid-principal', message: 'invalid user or workload name inside valid JWT' });
    });
  });

  describe('kind', () => {
    it('a delegation credential used as login (typ and roles, or roles alone)', () => {
      const message = 'delegation credential is not a login credential';
      expect(refusal(forge({ ...validClaims(), roles: ['am://role/r'], typ: 'delegation' }))).toEqual({ reason: 'wrong-kind', message });
      expect(refusal(forge({ ...validClaims(), roles: [] }))).toEqual({ reason: 'wrong-kind', message });
    });

    it('a login credential used as delegation', () => {
      expect(refusal(forge(), { accept: 'delegation' }).reason).toBe('wrong-kind');
    });

    it('typ login with roles, or an unknown typ', () => {
      expect(refusal(forge({ ...validClaims(), roles: ['am://role/r'], typ: 'login' })).reason).toBe('invalid-claims');
      expect(refusal(forge({ ...validClaims(), typ: 'admin' })).reason).toBe('invalid-claims');
    });

    it.each([
      ['a target ACE', { target_ace: { acls: [{ roles: ['am://role/r'] }] } }],
      ['a heritable ACE', { heritable_ace: { acls: [] } }],
      ['a dataset', { dataset: 'am://data/x' }],
    ])('a login credential carrying %s (delegation-only claims)', (_case, extra) => {
      expect(refusal(forge({ ...validClaims(), ...extra }))).toEqual({ reason: 'invalid-claims', message: `invalid credential: claim ${Object.keys(extra)[0]} has the wrong type` });
    });

    it.each([
      ['not an object', 'am://role/r'],
      ['acls not a list', { acls: { roles: ['am://role/r'] } }],
      ['an ACL without roles', { acls: [{ roles: [] }] }],
      ['a role that is not a string', { acls: [{ roles: [7] }] }],
      ['an unknown member', { acls: [], op: 'ADMIN' }],
    ])('a delegation credential whose target ACE is %s', (_case, target_ace) => {
      const token = forge({ ...validClaims(), roles: [], typ: 'delegation', target_ace });
      expect(refusal(token, { accept: 'delegation' }).reason).toBe('invalid-claims');
    });
  });

  describe('syntax and size', () => {
    it.each([
      ['empty', ''],
      ['whitespace', ' \n'],
      ['garbage', 'hello world'],
      ['a principal path', 'am://user/alice'],
      ['two segments (truncated at the last dot)', forge().split('.').slice(0, 2).join('.')],
      ['four segments', `${forge()}.x`],
      ['padding characters', `${forge()}==`],
      ['whitespace inside', forge().replace('.', ' .')],
      ['base64url that is not JSON', 'a.b.c'],
      ['payload that is JSON but not an object', `${b64({ alg: 'ES256', kid: KID })}.${b64('[1]')}.${b64('s')}`],
      ['header with a critical extension', forge(validClaims(), { alg: 'ES256', kid: KID, crit: ['exp'] })],
    ])('%s', (_case, token) => {
      expect(refusal(token).reason).toBe('malformed');
    });

    it('oversized input, including an otherwise valid, signed token', () => {
      expect(refusal('a'.repeat(9000)).reason).toBe('too-large');
      const padded = forge({ ...validClaims(), pad: 'x'.repeat(8192) });
      expect(refusal(padded)).toEqual({ reason: 'too-large', message: 'invalid credential: longer than 8192 characters' });
    });

    it('a non-string credential', () => {
      expect(refusal(undefined as unknown as string).reason).toBe('malformed');
    });
  });
});
