import { CREDENTIAL_ALGORITHM } from './claims';
import { InvalidCredentialError } from './errors';

/** Far above any credential we issue (~600 characters); bounds the work done on hostile input. */
export const MAX_CREDENTIAL_CHARS = 8192;
/** The reference's pre-check `^[A-Za-z0-9._-]+$`, narrowed to exactly three base64url segments. */
const COMPACT_JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

export interface ParsedToken {
  header: Record<string, unknown>;
  /** Not yet authenticated: only the key lookup may read it before the signature is checked. */
  payload: Record<string, unknown>;
  /** The ASCII text the signature covers: `<header>.<payload>`. */
  signingInput: string;
  signature: Buffer;
}

/**
 * Step 1 of §8.3: syntax. Surrounding whitespace is trimmed (credentials are often read from
 * files ending in a newline). The algorithm is pinned here, before any key is looked up, so the
 * header can never choose how the token is verified (`none`, HS256 with the public key, ...).
 */
export function parseToken(raw: string): ParsedToken {
  if (typeof raw !== 'string') throw malformed('not a string');
  if (raw.length > MAX_CREDENTIAL_CHARS) throw new InvalidCredentialError('too-large', `invalid credential: longer than ${MAX_CREDENTIAL_CHARS} characters`);
  const match = COMPACT_JWS.exec(raw.trim());
  if (!match) throw malformed('not a JWT (three base64url segments)');
  const [, encodedHeader, encodedPayload, encodedSignature] = match;
  const header = decodeJsonObject(encodedHeader, 'header');
  const payload = decodeJsonObject(encodedPayload, 'payload');
  if (header.alg !== CREDENTIAL_ALGORITHM) {
    throw new InvalidCredentialError('unsupported-algorithm', `signing method ${String(header.alg)} is invalid`);
  }
  // RFC 7515 §4.1.11: a recipient must refuse critical extensions it does not understand (we understand none).
  if (header.crit !== undefined) throw malformed('unsupported critical header parameters');
  return { header, payload, signingInput: `${encodedHeader}.${encodedPayload}`, signature: Buffer.from(encodedSignature, 'base64url') };
}

function decodeJsonObject(segment: string, part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw malformed(`${part} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(`${part} is not a JSON object`);
  return value as Record<string, unknown>;
}

function malformed(detail: string): InvalidCredentialError {
  return new InvalidCredentialError('malformed', `invalid credential: ${detail}`);
}
