import { randomFillSync, sign } from 'node:crypto';
import {
  CREDENTIAL_ALGORITHM,
  CREDENTIAL_AUDIENCE,
  CREDENTIAL_ISSUER,
  CREDENTIAL_SUBJECT,
  CredentialAce,
  CredentialClaims,
  CredentialKind,
  NOT_BEFORE_SKEW_SEC,
  isPrincipalId,
} from './claims';
import { SigningKey, keyId } from './signing-key';

export interface IssueCredentialRequest {
  /** Normally the key chosen by selectSigningKey for this lifetime. */
  key: SigningKey;
  /** am://user/... or am://workload/... */
  principal: string;
  kind: CredentialKind;
  /** Delegation credentials only (may be empty); login credentials carry `roles: null`. */
  roles?: readonly string[];
  lifetimeSec: number;
  /** Unix seconds. */
  now: number;
  /** Defaults to 128 random bits. */
  jti?: string;
  /** Delegation credentials only: the dataset and the ACEs (omitted when empty). */
  dataset?: string;
  targetAce?: CredentialAce;
  heritableAce?: CredentialAce;
}

const ID_BYTES = 16;
/** Random bytes for ids, refilled a page at a time: one call into the CSPRNG per 256 ids, not per id. */
const idPool = Buffer.alloc(ID_BYTES * 256);
let idPoolOffset = idPool.length;

/** A fresh credential id (`jti`): 128 bits from the CSPRNG, base64url. */
export function newCredentialId(): string {
  if (idPoolOffset === idPool.length) {
    randomFillSync(idPool);
    idPoolOffset = 0;
  }
  const id = idPool.toString('base64url', idPoolOffset, idPoolOffset + ID_BYTES);
  // Each slice is used once: wiped as it is handed out.
  idPool.fill(0, idPoolOffset, idPoolOffset + ID_BYTES);
  idPoolOffset += ID_BYTES;
  return id;
}

/** The claims in the reference's order (which is also the order `info` displays them in). */
export function credentialClaims(request: IssueCredentialRequest): CredentialClaims {
  const { key, principal, kind, roles, lifetimeSec } = request;
  const iat = Math.floor(request.now);
  if (!isPrincipalId(principal)) throw new Error(`credentials are issued to users and workloads only, not ${JSON.stringify(principal)}`);
  if (!Number.isSafeInteger(lifetimeSec) || lifetimeSec <= 0) throw new Error(`credential lifetime must be positive whole seconds, got ${lifetimeSec}`);
  if (kind === 'login' && roles !== undefined) throw new Error('login credentials carry no roles');
  if (kind === 'delegation' && roles === undefined) throw new Error('delegation credentials need a roles list (it may be empty)');
  const { dataset, targetAce, heritableAce } = request;
  if (kind === 'login' && (dataset !== undefined || targetAce !== undefined || heritableAce !== undefined)) {
    throw new Error('login credentials carry no dataset or delegation ACEs');
  }
  const exp = iat + lifetimeSec;
  // A key that expires first would make the credential unverifiable before its own expiry
  // (selectSigningKey leaves a margin; this is the hard floor).
  if (key.expiry < exp) throw new Error(`signing key ${keyId(key.expiry)} expires too soon for a credential valid until ${exp}`);
  return {
    iss: CREDENTIAL_ISSUER,
    sub: CREDENTIAL_SUBJECT,
    aud: [CREDENTIAL_AUDIENCE],
    exp,
    nbf: iat - NOT_BEFORE_SKEW_SEC,
    iat,
    key: key.expiry,
    id: principal,
    roles: kind === 'delegation' ? [...(roles ?? [])] : null,
    typ: kind,
    jti: request.jti ?? newCredentialId(),
    ...(dataset !== undefined ? { dataset } : {}),
    ...(targetAce && targetAce.acls.length > 0 ? { target_ace: targetAce } : {}),
    ...(heritableAce && heritableAce.acls.length > 0 ? { heritable_ace: heritableAce } : {}),
  };
}

/**
 * Signs a credential (compact JWS, ES256) with header `{alg, typ: "JWT", kid}`. Synchronous
 * node:crypto signing (r ‖ s, as JWS requires): several times faster than a WebCrypto round trip
 * per token, which matters when an identity service issues thousands a second.
 */
export function issueCredentialSync(request: IssueCredentialRequest): string {
  const claims = credentialClaims(request);
  const header = { alg: CREDENTIAL_ALGORITHM, typ: 'JWT', kid: keyId(request.key.expiry) };
  const input = `${base64url(header)}.${base64url(claims)}`;
  const signature = sign('sha256', Buffer.from(input, 'ascii'), { key: request.key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** As issueCredentialSync, for callers that prefer a promise. */
export async function issueCredential(request: IssueCredentialRequest): Promise<string> {
  return issueCredentialSync(request);
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
