import { UnavailableError } from '@am/model';
import type { IdentityPlugin } from '@am/plugin-sdk';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stat } from 'node:fs/promises';
import { checkLogin, readUsers, type UserRecord } from './users-file';

export interface LoginServerOptions {
  plugin: Pick<IdentityPlugin, 'vouch'>;
  usersFile: string;
  principalTemplate: string;
  port: number;
  host: string;
  log?: (line: Record<string, unknown>) => void;
}

const MAX_BODY = 4096;

/**
 * The example plugin's HTTP surface (compat-rest §8): `POST /api/login` with JSON
 * `{user, password}` → 200 and the Access Manager credential for the user's principal as the body;
 * a wrong name or password → 401. The plugin checks the password itself; the Access Manager only
 * checks that the plugin may vouch for the principal. `GET /` serves a small login page.
 */
export async function startLoginServer(options: LoginServerOptions) {
  const log = options.log ?? (() => undefined);
  let cache: { version: string; users: Map<string, UserRecord> } | undefined;
  // The users file is re-read when it changes, so `users add` takes effect without a restart.
  const users = async () => {
    const version = await stat(options.usersFile).then((s) => `${s.ino}:${s.size}:${s.mtimeMs}`, () => 'absent');
    if (!cache || cache.version !== version) cache = { version, users: await readUsers(options.usersFile) };
    return cache.users;
  };

  const login = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return reply(res, 405, 'Invalid request method', { Allow: 'POST' });
    let body: { user?: unknown; password?: unknown };
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return reply(res, 400, 'expected a JSON body {"user": "...", "password": "..."}');
    }
    if (typeof body.user !== 'string' || typeof body.password !== 'string') return reply(res, 401, 'Invalid username or password');
    const user = await checkLogin(await users(), body.user, body.password);
    if (!user) {
      log({ msg: 'login refused' });
      return reply(res, 401, 'Invalid username or password');
    }
    const principal = user.principal ?? options.principalTemplate.replace('{user}', user.name);
    try {
      const issued = await options.plugin.vouch(principal);
      log({ msg: 'login', user: user.name, principal });
      return reply(res, 200, issued.credential);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log({ msg: 'vouch failed', principal, err: message });
      return reply(res, err instanceof UnavailableError ? 503 : 500, `error getting credential "${principal}": ${message}`);
    }
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/api/login') {
      login(req, res).catch((err: Error) => {
        log({ msg: 'login failed', err: err.message });
        if (!res.headersSent) reply(res, 500, 'internal error');
      });
    } else if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      reply(res, 200, PAGE, { 'Content-Type': 'text/html; charset=utf-8' });
    } else {
      reply(res, 404, 'not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function reply(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const PAGE = `<!doctype html>
<meta charset="utf-8"><title>Log in (password plugin)</title>
<h1>Log in</h1>
<form id="f"><label>User <input name="user" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button>Log in</button></form>
<p>Your Access Manager credential:</p><textarea id="out" rows="8" cols="80" readonly></textarea>
<script>
document.getElementById('f').onsubmit = async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const r = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: f.get('user'), password: f.get('password') }) });
  document.getElementById('out').value = (r.ok ? '' : r.status + ': ') + await r.text();
};
</script>
`;
