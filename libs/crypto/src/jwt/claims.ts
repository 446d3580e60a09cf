/**
 * The claim set of an Access Manager credential (access-model §8.3). The reference's claims are
 * kept for compatibility; `typ` and `jti` are our additions (typ separates login from delegation
 * credentials, gap G17).
 */
export const CREDENTIAL_ISSUER = 'access-manager';
export const CREDENTIAL_AUDIENCE = 'access-manager';
/** The reference writes the literal string "id" as subject; the principal is in the `id` claim. */
export const CREDENTIAL_SUBJECT = 'id';
/** `nbf = iat − 300`: five minutes of allowance for verifiers whose clocks run behind. */
export const NOT_BEFORE_SKEW_SEC = 300;
/** `iat` may lie at most this far in the future (Decision; the reference allows none). */
export const ISSUED_AT_SKEW_SEC = 60;
export const CREDENTIAL_ALGORITHM = 'ES256';

export type CredentialKind = 'login' | 'delegation';

export interface CredentialClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  nbf: number;
  iat: number;
  /** Identifier of the signing key = the key's expiry in Unix seconds. */
  key: number;
  /** The principal path the credential stands for. */
  id: string;
  /** null for login credentials; the delegated role paths for delegation credentials. */
  roles: string[] | null;
  typ?: CredentialKind;
  jti?: string;
  /** Delegation credentials (ours): the dataset they were issued for. */
  dataset?: string;
  /** Delegation credentials (ours): who may present it — AND of ACLs, each an OR of role paths. */
  target_ace?: CredentialAce;
  /** Delegation credentials (ours): what every credential extended from this one keeps in its target ACE. */
  heritable_ace?: CredentialAce;
}

/** The `acls` of an ACE (access-model §4.1), as delegation credentials carry them. */
export interface CredentialAce {
  acls: { roles: string[] }[];
}

/** Claims only a delegation credential may carry. */
export const DELEGATION_ONLY_CLAIMS = ['dataset', 'target_ace', 'heritable_ace'] as const;

const PRINCIPAL_PREFIXES = ['am://user/', 'am://workload/'];

/** Step 6 of §8.3: only users and workloads can be the subject of a credential. */
export function isPrincipalId(id: string): boolean {
  return PRINCIPAL_PREFIXES.some((prefix) => id.startsWith(prefix) && id.length > prefix.length);
}

/** Tokens without `typ` (reference tokens) are classified by `roles`: null means login. */
export function credentialKind(claims: Pick<CredentialClaims, 'typ' | 'roles'>): CredentialKind {
  return claims.typ ?? (claims.roles === null ? 'login' : 'delegation');
}
