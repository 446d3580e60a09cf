/**
 * Why a credential was refused. `reason` is the stable code callers branch on; `message` keeps
 * the reference's wording where it has one (clients and scripts match on it, compat-rest §4.9).
 * Every reason means "unauthenticated".
 */
export type InvalidCredentialReason =
  | 'too-large'
  | 'malformed'
  | 'unsupported-algorithm'
  | 'key-not-found'
  | 'key-expired'
  | 'bad-signature'
  | 'invalid-claims'
  | 'expired'
  | 'not-yet-valid'
  | 'issued-in-future'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'invalid-principal'
  | 'wrong-kind';

export class InvalidCredentialError extends Error {
  override name = 'InvalidCredentialError';
  constructor(
    readonly reason: InvalidCredentialReason,
    message: string,
    /** For `key-not-found`: the key (its expiry) the token named, when it named a possible one. */
    readonly namedKey?: number,
  ) {
    super(message);
  }
}

/** Go's time.Duration formatting for whole seconds ("45s", "3m2s", "1h0m5s"), as in "token is expired by 3m2s". */
export function goDuration(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
