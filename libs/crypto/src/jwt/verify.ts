import { verify as verifySignature } from 'node:crypto';
import {
  CredentialAce,
  CREDENTIAL_AUDIENCE,
  CREDENTIAL_ISSUER,
  CredentialClaims,
  CredentialKind,
  ISSUED_AT_SKEW_SEC,
  credentialKind,
  DELEGATION_ONLY_CLAIMS,
  isPrincipalId,
} from './claims';
import { InvalidCredentialError, goDuration } from './errors';
import { VerificationKey, VerificationKeyLookup, parseKeyId } from './signing-key';
import { ParsedToken, parseToken } from './token-syntax';

/** 'login' for caller credentials (the default everywhere a credential authenticates a request). */
export type AcceptedKind = CredentialKind | 'any';

export interface VerifyCredentialOptions {
  keys: VerificationKeyLookup;
  /** Unix seconds. */
  now: number;
  accept: AcceptedKind;
}

export interface VerifiedCredential {
  claims: CredentialClaims;
  kind: CredentialKind;
  /** The key that verified the signature (the cache re-checks it is still published). */
  key: VerificationKey;
}

/** An ES256 signature in JWS form is r ‖ s, 32 bytes each. */
const ES256_SIGNATURE_BYTES = 64;

/**
 * Steps 1–7 of access-model §8.3, in order; the first failure is thrown as an
 * InvalidCredentialError. Step 8 (the principal still exists) belongs to the caller, which has
 * the tree. Synchronous on purpose: node:crypto verifies ES256 about 1.7–3× faster than jose's
 * WebCrypto path, and the header never influences the algorithm (pinned in parseToken).
 */
export function verifyCredential(token: string, options: VerifyCredentialOptions): VerifiedCredential {
  const parsed = parseToken(token);
  const key = findSigningKey(parsed, options);
  checkSignature(parsed, key);
  const claims = readClaims(parsed.payload, key);
  checkTimes(claims, options.now);
  checkIssuerAndAudience(claims);
  if (!isPrincipalId(claims.id)) throw new InvalidCredentialError('invalid-principal', 'invalid user or workload name inside valid JWT');
  const kind = credentialKind(claims);
  checkKind(kind, options.accept);
  return { claims, kind, key };
}

/** Step 2: the key named by `kid` (header) or `key` (claim; reference tokens have no kid). */
function findSigningKey({ header, payload }: ParsedToken, { keys, now }: VerifyCredentialOptions): VerificationKey {
  const expiry = namedKeyExpiry(header, payload);
  const key = expiry === undefined ? undefined : keys.get(expiry);
  if (!key) throw new InvalidCredentialError('key-not-found', 'key not found', expiry);
  if (key.expiry < now) throw new InvalidCredentialError('key-expired', 'key has already expired');
  return key;
}

/** undefined when the token names no key or one that cannot exist (a kid like "007", a string key claim). */
function namedKeyExpiry(header: Record<string, unknown>, payload: Record<string, unknown>): number | undefined {
  // undefined = absent, null = present but not a possible key id
  const fromHeader = header.kid === undefined ? undefined : typeof header.kid === 'string' ? parseKeyId(header.kid) ?? null : null;
  const fromClaim = payload.key === undefined ? undefined : Number.isSafeInteger(payload.key) ? (payload.key as number) : null;
  if (fromHeader === null || fromClaim === null) return undefined;
  // Both must name the same key: once the signature verifies, the key claim is trusted to name the verifying key.
  if (fromHeader !== undefined && fromClaim !== undefined && fromHeader !== fromClaim) {
    throw new InvalidCredentialError('malformed', 'invalid credential: kid header and key claim name different keys');
  }
  return fromHeader ?? fromClaim;
}

/** Step 3. */
function checkSignature({ signingInput, signature }: ParsedToken, key: VerificationKey): void {
  const valid =
    signature.length === ES256_SIGNATURE_BYTES &&
    verifySignature('sha256', Buffer.from(signingInput, 'ascii'), { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  if (!valid) throw new InvalidCredentialError('bad-signature', 'crypto/ecdsa: verification error');
}

/**
 * Types of the signed claims. Values are judged by the steps that follow, so a missing or
 * ill-typed iss/aud/id becomes "" or [] and fails its own step with its own message.
 */
function readClaims(payload: Record<string, unknown>, verifiedBy: VerificationKey): CredentialClaims {
  const { iss, sub, aud, exp, nbf, iat, id, roles, typ, jti, dataset, target_ace, heritable_ace } = payload;
  const time = (name: string, value: unknown): number => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidClaim(name);
    return value;
  };
  const audience = typeof aud === 'string' ? [aud] : aud;
  if (roles !== undefined && roles !== null && !isStringArray(roles)) throw invalidClaim('roles');
  if (typ !== undefined && typ !== 'login' && typ !== 'delegation') throw invalidClaim('typ');
  // A login credential must not carry roles: otherwise `typ` and `roles` would tell different stories.
  if (typ === 'login' && roles !== undefined && roles !== null) throw invalidClaim('roles');
  if (jti !== undefined && typeof jti !== 'string') throw invalidClaim('jti');
  if (dataset !== undefined && typeof dataset !== 'string') throw invalidClaim('dataset');
  if (target_ace !== undefined && !isAce(target_ace)) throw invalidClaim('target_ace');
  if (heritable_ace !== undefined && !isAce(heritable_ace)) throw invalidClaim('heritable_ace');
  // Delegation claims on a login credential would be ignored by whoever trusts the login: refuse them.
  if ((roles === undefined || roles === null) && typ !== 'delegation') {
    for (const name of DELEGATION_ONLY_CLAIMS) if (payload[name] !== undefined) throw invalidClaim(name);
  }
  const claims: CredentialClaims = {
    iss: typeof iss === 'string' ? iss : '',
    sub: typeof sub === 'string' ? sub : '',
    aud: isStringArray(audience) ? audience : [],
    exp: time('exp', exp),
    nbf: time('nbf', nbf),
    iat: time('iat', iat),
    key: verifiedBy.expiry,
    id: typeof id === 'string' ? id : '',
    roles: roles ?? null,
  };
  if (typ !== undefined) claims.typ = typ;
  if (jti !== undefined) claims.jti = jti;
  if (dataset !== undefined) claims.dataset = dataset;
  if (target_ace !== undefined) claims.target_ace = target_ace;
  if (heritable_ace !== undefined) claims.heritable_ace = heritable_ace;
  return claims;
}

/** Step 4. */
function checkTimes(claims: CredentialClaims, now: number): void {
  if (claims.exp <= now) throw new InvalidCredentialError('expired', `token is expired by ${goDuration(now - claims.exp)}`);
  if (claims.nbf > now) throw new InvalidCredentialError('not-yet-valid', 'token is not valid yet');
  if (claims.iat > now + ISSUED_AT_SKEW_SEC) throw new InvalidCredentialError('issued-in-future', 'token used before issued');
}

/** Step 5 (Decision: the reference does not check them). */
function checkIssuerAndAudience(claims: CredentialClaims): void {
  if (claims.iss !== CREDENTIAL_ISSUER) throw new InvalidCredentialError('wrong-issuer', 'token has invalid issuer');
  if (!claims.aud.includes(CREDENTIAL_AUDIENCE)) throw new InvalidCredentialError('wrong-audience', 'token has invalid audience');
}

/** Step 7: a delegation credential handed to a database must not be replayable as a login (gap G17). */
export function checkKind(kind: CredentialKind, accept: AcceptedKind): void {
  if (accept === 'any' || accept === kind) return;
  throw new InvalidCredentialError('wrong-kind', `${kind} credential is not a ${accept} credential`);
}

function isAce(value: unknown): value is CredentialAce {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const { acls, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || !Array.isArray(acls)) return false;
  return acls.every((acl) => {
    if (!acl || typeof acl !== 'object' || Array.isArray(acl)) return false;
    const { roles: aclRoles, ...others } = acl as Record<string, unknown>;
    return Object.keys(others).length === 0 && isStringArray(aclRoles) && aclRoles.length > 0;
  });
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function invalidClaim(name: string): InvalidCredentialError {
  return new InvalidCredentialError('invalid-claims', `invalid credential: claim ${name} has the wrong type`);
}
