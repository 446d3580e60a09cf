import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';

/**
 * The plugin's own user database: a text file, one user per line,
 *
 *     <name>:$scrypt$N=<n>,r=<r>,p=<p>$<salt base64>$<hash base64>[:<principal>]
 *
 * Names are compared case-insensitively (stored lower-case). The principal is the am:// path the
 * plugin vouches for when this user logs in; without one, the server's template decides.
 * Blank lines and lines starting with # are ignored.
 */
export interface UserRecord {
  name: string;
  hash: string;
  principal?: string;
}

const PARAMS = { N: 16384, r: 8, p: 1 };
const KEY_BYTES = 32;
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCallback(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export function normalizeName(name: string): string {
  const n = name.trim().toLowerCase();
  if (!NAME.test(n)) throw new Error(`invalid user name ${JSON.stringify(name)}: letters, digits, ".", "_" and "-", at most 64`);
  return n;
}

export async function hashPassword(password: string): Promise<string> {
  if (password.length === 0) throw new Error('the password must not be empty');
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_BYTES, PARAMS);
  return `$scrypt$N=${PARAMS.N},r=${PARAMS.r},p=${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const HASH = /^\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** Constant-time comparison; a malformed hash verifies nothing. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = HASH.exec(hash);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const expected = Buffer.from(m[5], 'base64');
  if (expected.length < 16 || N > 1 << 20 || r > 32 || p > 16) return false;
  const key = await scrypt(password, Buffer.from(m[4], 'base64'), expected.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return timingSafeEqual(key, expected);
}

export function parseUsers(text: string): Map<string, UserRecord> {
  const users = new Map<string, UserRecord>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const first = line.indexOf(':');
    const rest = line.slice(first + 1);
    // The principal (am://...) contains ':' itself: split it off at ':am://'.
    const at = rest.indexOf(':am://');
    const hash = at < 0 ? rest : rest.slice(0, at);
    const principal = at < 0 ? undefined : rest.slice(at + 1);
    if (first < 1 || !HASH.test(hash)) throw new Error(`users file line ${i + 1}: expected name:$scrypt$...[:am://principal]`);
    const name = normalizeName(line.slice(0, first));
    users.set(name, { name, hash, ...(principal ? { principal } : {}) });
  });
  return users;
}

export function formatUsers(users: Iterable<UserRecord>): string {
  const lines = [...users].sort((a, b) => a.name.localeCompare(b.name)).map((u) => `${u.name}:${u.hash}${u.principal ? `:${u.principal}` : ''}`);
  return `# plugin-passwords users: name:scrypt-hash[:principal]\n${lines.join('\n')}\n`;
}

export async function readUsers(file: string): Promise<Map<string, UserRecord>> {
  try {
    return parseUsers(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
}

/** Replaces the file atomically (write a temporary file, then rename), mode 0600. */
export async function writeUsers(file: string, users: Map<string, UserRecord>): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, formatUsers(users.values()), { mode: 0o600 });
  await rename(tmp, file);
}

/** Verifies a login. Unknown users cost a scrypt as well, so timing does not tell which names exist. */
export async function checkLogin(users: Map<string, UserRecord>, name: string, password: string): Promise<UserRecord | undefined> {
  let user: UserRecord | undefined;
  try {
    user = users.get(normalizeName(name));
  } catch {
    user = undefined;
  }
  const ok = await verifyPassword(password, user?.hash ?? DUMMY_HASH);
  return ok && user ? user : undefined;
}

const DUMMY_HASH = `$scrypt$N=${PARAMS.N},r=${PARAMS.r},p=${PARAMS.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(KEY_BYTES).toString('base64')}`;
