import { utils, type ParsedKey } from 'ssh2';

/** Key types an `ssh-pubkey` annotation may hold (ed25519, ecdsa, rsa). */
const KEY_TYPES = new Set(['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521']);

export interface AuthorizedKey {
  type: string;
  /** The public key blob (SSH wire format), compared byte for byte with what a client offers. */
  blob: Buffer;
  parsed: ParsedKey;
}

/**
 * One authorized_keys line → the key it names, or undefined when the line holds no single
 * usable key (such annotations are skipped, compat-rest §7). Options before the key type and the
 * comment after the blob are ignored (access-model §8.6: comparison by type and key bytes).
 */
export function parseAuthorizedKey(line: string): AuthorizedKey | undefined {
  const lines = line.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (lines.length !== 1) return undefined;
  const tokens = splitOutsideQuotes(lines[0]);
  const at = tokens.findIndex((t) => KEY_TYPES.has(t));
  if (at < 0 || at + 1 >= tokens.length) return undefined;
  const type = tokens[at];
  const b64 = tokens[at + 1];
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  const blob = Buffer.from(b64, 'base64');
  const parsed = utils.parseKey(`${type} ${b64}`);
  if (parsed instanceof Error || Array.isArray(parsed)) return undefined;
  // The type inside the blob must be the one named on the line.
  if (parsed.type !== type || !parsed.getPublicSSH().equals(blob)) return undefined;
  return { type, blob, parsed };
}

/** Whitespace-separated tokens; quoted option values (`from="a b"`) stay one token. */
function splitOutsideQuotes(line: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    if (!quoted && (c === ' ' || c === '\t')) {
      if (current) tokens.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (current) tokens.push(current);
  return tokens;
}

/** The authorized key matching an offered key blob, if any. */
export function findOfferedKey(authorized: readonly string[], offered: Buffer): AuthorizedKey | undefined {
  for (const line of authorized) {
    const key = parseAuthorizedKey(line);
    if (key && key.blob.equals(offered)) return key;
  }
  return undefined;
}
