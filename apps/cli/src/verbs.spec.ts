import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram, runCli } from './program';
import { localStackToken } from './commands/universe';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Reply = { status?: number; body?: unknown; type?: string; revision?: number };

const BIG = '7461446305135842123'; // beyond 2^53: must survive ls -l and chperm unchanged
const node = (path: string, children: string[] = [], extra: object = {}) => ({
  path,
  isDirectory: children.length > 0,
  roles: [],
  inheritedRoles: [],
  aces: [],
  inheritedAces: [],
  annotations: [],
  children,
  revision: 7,
  ...extra,
});

describe('am verbs against a stand-in gateway', () => {
  let server: Server;
  let url: string;
  let seen: Seen[] = [];
  let reply: (s: Seen) => Reply = () => ({ body: {} });
  const dir = mkdtempSync(join(tmpdir(), 'am-cli-'));

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const s = { method: req.method!, url: req.url!, headers: req.headers, body };
        seen.push(s);
        const r = reply(s);
        res.writeHead(r.status ?? 200, { 'content-type': r.type ?? 'application/json', 'am-revision': String(r.revision ?? 7) });
        res.end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
      });
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    seen = [];
  });

  const am = async (argv: string[], env: NodeJS.ProcessEnv = { AM_USER: 'am://user/hpe/bu1/alice' }, stdin?: string) => {
    let out = '';
    let err = '';
    const code = await runCli(argv, {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env: { ACCESS_MANAGER_URL: url, ...env },
      fetch,
      readStdin: async () => stdin ?? '',
    });
    return { code, out, err };
  };

  it('ls: nested {path, children} with 3-space indentation, one request per expanded node', async () => {
    reply = (s) => ({ body: s.url.startsWith('/v1/nodes/user?') || s.url === '/v1/nodes/user' ? node('am://user', ['am://user/hpe', 'am://user/small']) : node('x') });
    const r = await am(['ls', 'am://user/']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe('{\n   "path": "am://user",\n   "children": [\n      {\n         "path": "am://user/hpe"\n      },\n      {\n         "path": "am://user/small"\n      }\n   ]\n}\n');
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /v1/nodes/user?limit=1000']);
    expect(seen[0].headers.authorization).toBe('Bearer am://user/hpe/bu1/alice');
  });

  it('ls -l: Go-style details (empty members left out, int64 as exact numbers) and table output', async () => {
    const alice = node('am://user/hpe/bu1/alice', [], {
      roles: [{ role: 'am://role/hpe/bu1/bu1-admin', tag: 'applied-role', unique: BIG, version: '1', startMillis: '0', endMillis: '0' }],
      inheritedAces: [{ op: 'VIEW', local: false, agent: false, acls: [{ roles: ['am://role/hpe/hpe-user', '## Redacted role ##'] }], tag: 'ace', unique: '79234067', version: '1', startMillis: '0', endMillis: '0' }],
      annotations: [{ data: '', tag: 'principal', unique: '12', version: '1', startMillis: '0', endMillis: '0' }],
    });
    reply = () => ({ body: alice });
    const r = await am(['ls', '-l', '-d', 'am://user/hpe/bu1/alice']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`"unique": ${BIG},`);
    const parsed = JSON.parse(r.out);
    expect(parsed).toEqual({
      Details: {
        path: 'am://user/hpe/bu1/alice',
        roles: [{ role: 'am://role/hpe/bu1/bu1-admin', tag: 'applied-role', unique: expect.any(Number), version: 1 }],
        inheritedAces: [{ op: 'VIEW', acls: [{ roles: ['am://role/hpe/hpe-user', '## Redacted role ##'] }], tag: 'ace', unique: 79234067, version: 1 }],
        annotations: [{ tag: 'principal', unique: 12, version: 1 }],
      },
    });
    const table = await am(['--output', 'table', 'ls', '-l', '-d', 'am://user/hpe/bu1/alice']);
    expect(table.out.split('\n')).toEqual([
      'am://user/hpe/bu1/alice  (leaf)',
      `  role           am://role/hpe/bu1/bu1-admin                          #applied-role-${BIG} v1`,
      '  inherited ace  VIEW [am://role/hpe/hpe-user | ## Redacted role ##]',
      '  annotation     principal                                            #principal-12 v1',
      '',
    ]);
  });

  it('usage mistakes and gateway errors are one line on stderr, exit 1', async () => {
    const both = await am(['ls', '-d', '-r', 'am://']);
    expect(both.code).toBe(1);
    expect(both.err.trim().split('\n')).toHaveLength(1);
    expect(both.err).toBe("error: option '-d, --direct' cannot be used with option '-r, --recursive' (see --help)\n");
    expect((await am(['ls', 'user/hpe'])).err).toBe('Error: path must start with am:// (got "user/hpe")\n');
    expect((await am(['ls', 'am://'], {})).err).toBe('Error: need user id. This can be supplied with AM_USER environment variable or with --user\n');

    reply = () => ({ status: 404, type: 'application/problem+json', body: { type: 'https://access-manager.dev/problems/not-found', title: 'Not Found', status: 404, detail: 'object not found for am://user/yoyodyne' } });
    const missing = await am(['ls', 'am://user/yoyodyne']);
    expect(missing).toEqual({ code: 1, out: '', err: 'Error: object not found for am://user/yoyodyne\n' });
    reply = () => ({ status: 502, type: 'text/html', body: '<html>\nbad gateway\n</html>' });
    expect((await am(['whoami'])).err).toBe('Error: HTTP 502 Bad Gateway: <html> bad gateway </html>\n');
  });

  it('AM_USER=@file reads the credential (trailing newline dropped); -v masks it', async () => {
    const file = join(dir, 'cred');
    writeFileSync(file, 'eyJhbGciOiJFUzI1NiJ9.eyJpZCI6ImFtOi8vdXNlci94In0.c2ln\n');
    reply = () => ({ body: { principal: 'am://user/x', via: 'credential', revision: 3 } });
    const r = await am(['-v', 'whoami'], { AM_USER: `@${file}` });
    expect(r.code).toBe(0);
    expect(seen[0].headers.authorization).toBe('Bearer eyJhbGciOiJFUzI1NiJ9.eyJpZCI6ImFtOi8vdXNlci94In0.c2ln');
    expect(r.err).toContain(`> GET ${url}/v1/whoami`);
    expect(r.err).toContain('> authorization: Bearer eyJh…(53 chars)');
    expect(r.err).not.toContain('c2ln');
    expect(r.err).toContain('< 200 OK (AM-Revision 7)');
    expect((await am(['whoami'], { AM_USER: '@/nonexistent/cred' })).err).toMatch(/^Error: error reading user credential from \/nonexistent\/cred: ENOENT/);

    reply = () => ({ body: { valid: true, message: 'credential is valid', kind: 'login', claims: { id: 'am://user/x' } } });
    const v = await am(['-v', 'validate', '-c', 'secret.token.value']);
    expect(v.out).toBe('{\n  "error": {\n    "error": 0,\n    "global": "0",\n    "message": "credential is valid"\n  },\n  "info": "{\\n  \\"id\\": \\"am://user/x\\"\\n}",\n  "valid": true\n}\n');
    expect(v.err).not.toContain('secret.token.value');
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/v1/credentials/validate', body: '{"credential":"secret.token.value"}' });
    reply = () => ({ body: { valid: false, message: 'token is expired by 3m2s' } });
    const expired = await am(['validate', '-c', 'old.token.value']);
    expect(expired.code).toBe(1);
    expect(JSON.parse(expired.out)).toEqual({ valid: false, info: '', error: { error: 1, message: 'token is expired by 3m2s', global: '0' } });
    expect(expired.err).toBe('Error: credential is not valid: token is expired by 3m2s\n');
  });

  it('delegate with ACE options posts to /v1/credentials/delegation; validate --as-target sends the caller as presenter', async () => {
    const deleg = join(dir, 'deleg');
    writeFileSync(deleg, 'old.delegation.token\n');
    reply = () => ({ body: { credential: 'new.delegation.token', roles: ['am://role/r'], targetAce: { acls: [] }, heritableAce: { acls: [] } } });
    const r = await am(['delegate', 'am://data/d', '--attributes', 'am://role/*', '--target', 'am://role/a, am://role/b', '--target', 'am://role/c', '--heritable', 'am://role/c', '--extend', `@${deleg}`]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(r.out).credential).toBe('new.delegation.token');
    expect(seen.at(-1)!.url).toBe('/v1/credentials/delegation');
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({
      dataset: 'am://data/d',
      attributes: ['am://role/*'],
      targetAce: { acls: [{ roles: ['am://role/a', 'am://role/b'] }, { roles: ['am://role/c'] }] },
      heritableAce: { acls: [{ roles: ['am://role/c'] }] },
      delegation: 'old.delegation.token',
    });
    expect((await am(['delegate', 'am://data/d', '--op', 'READ', '--target', 'am://role/a'])).err).toMatch(/does not combine/);
    expect((await am(['delegate', 'am://data/d', '--extend', '@/nonexistent/deleg'])).err).toMatch(/reading the --extend credential from \/nonexistent\/deleg/);

    reply = () => ({ body: { valid: false, message: 'am://workload/db does not satisfy the target ACE of this delegation credential', target: { principal: 'am://workload/db', satisfied: false } } });
    const v = await am(['validate', '-c', `@${deleg}`, '--as-target'], { AM_USER: 'am://workload/db' });
    expect(v.code).toBe(1);
    expect(JSON.parse(v.out).target).toEqual({ principal: 'am://workload/db', satisfied: false });
    expect(seen.at(-1)!.headers.authorization).toBe('Bearer am://workload/db');
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ credential: 'old.delegation.token', asTarget: true });
    expect((await am(['validate', '--as-target'])).err).toMatch(/--as-target checks the delegation credential given with -c/);
  });

  it('chperm: ACEs from ls -l output, @file or stdin; later writes carry the earlier revision as AM-Consistency', async () => {
    let rev = 40;
    reply = (s) => ({ revision: ++rev, body: { annotation: { ...JSON.parse(s.body), unique: JSON.parse(s.body).unique ?? '99', version: '2' }, revision: rev } });
    const lsOutput = `{"Details": {"path": "am://data/x", "aces": [
      {"op": "READ", "acls": [{"roles": ["am://role/a", "am://role/b"]}], "tag": "ace", "unique": ${BIG}, "version": 1},
      {"op": "VIEW", "local": true, "acls": [{"roles": ["am://role/c"]}], "tag": "ace", "unique": 5, "version": 1}]}}`;
    const file = join(dir, 'aces.json');
    writeFileSync(file, lsOutput);
    const r = await am(['chperm', 'am://data/x', '-e', `@${file}`]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(`Saved READ ACE #ace-${BIG} (version 2)\nSaved VIEW ACE #ace-5 (version 2)\n`);
    expect(seen.map((s) => `${s.method} ${s.url} ${s.headers['am-consistency'] ?? '-'}`)).toEqual(['POST /v1/nodes/data/x/annotations -', 'POST /v1/nodes/data/x/annotations 41']);
    expect(JSON.parse(seen[0].body)).toEqual({ tag: 'ace', op: 'READ', acls: [{ roles: ['am://role/a', 'am://role/b'] }], unique: BIG, version: '1' });

    seen = [];
    await am(['chperm', 'am://data/x', '-e', '-'], undefined, '{"op":"view","permissions":[{"roles":["am://role/hpe-user"]}]}');
    await am(['chperm', 'am://data/x', '-e', '[{"op":4,"roles":[["am://role/a"],["am://role/b"]]}]']);
    expect(seen.map((s) => JSON.parse(s.body))).toEqual([
      { tag: 'ace', op: 'VIEW', acls: [{ roles: ['am://role/hpe-user'] }] },
      { tag: 'ace', op: 'ADMIN', acls: [{ roles: ['am://role/a'] }, { roles: ['am://role/b'] }] },
    ]);
    expect((await am(['chperm', 'am://data/x', '-e', '{"op":"READ","perms":[]}'])).err).toBe('Error: invalid permission format: unknown member "perms"\n');
    expect((await am(['chperm', 'am://data/x', '-r', '12,abc'])).err).toBe('Error: invalid format for unique ID: abc\n');

    seen = [];
    reply = () => ({ body: { revision: 50 } });
    expect((await am(['chperm', 'am://data/x', '-r', '12, 13'])).out).toBe('Removed ACE #ace-12\nRemoved ACE #ace-13\n');
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['DELETE /v1/nodes/data/x/annotations/ace/12', 'DELETE /v1/nodes/data/x/annotations/ace/13']);
  });

  it('chrole, rm (node, -r, PATH#tag-unique), annotate, mk/mkdir send the v1 requests', async () => {
    reply = (s) =>
      s.method === 'GET'
        ? { body: node('am://user/hpe/bu1/bob', [], { roles: [{ role: 'am://role/hpe/bu1/bu1-query', tag: 'applied-role', unique: '31', version: '1', startMillis: '0', endMillis: '0' }] }) }
        : { body: { revision: 9, removed: ['am://data/d', 'am://data/d/e'], path: 'p', annotation: { unique: '1', version: '1' } }, status: s.method === 'PUT' ? 201 : 200 };
    const chrole = await am(['chrole', 'am://user/hpe/bu1/bob', '-a', 'am://role/hpe/bu1/bu1-user', '-r', 'am://role/hpe/bu1/bu1-query,am://role/hpe/bu1/other']);
    expect(chrole).toMatchObject({ code: 0, out: 'Added role am://role/hpe/bu1/bu1-user\nRemoved role am://role/hpe/bu1/bu1-query\n' });
    expect(chrole.err).toBe('note: am://role/hpe/bu1/other is not applied directly to am://user/hpe/bu1/bob; skipped\n');
    expect((await am(['chrole', 'am://user/hpe/bu1/bob', '-a', 'am://role/hpe/bu1/bu1-query'])).err).toBe('Error: duplicate role am://role/hpe/bu1/bu1-query\n');
    expect((await am(['chrole', 'am://user/hpe/bu1/bob', '-a', 'bu1-query'])).err).toBe('Error: invalid role bu1-query\n');

    seen = [];
    await am(['rm', 'am://user/yoyodyne/fred#ssh-pubkey-116645369962115']);
    await am(['rm', '-r', 'am://data/d']);
    await am(['annotate', 'am://data/a b', 'note = hello world ']);
    await am(['mkdir', 'am://data/new']);
    await am(['mk', 'am://data/new/leaf']);
    expect(seen.map((s) => `${s.method} ${decodeURIComponent(s.url)} ${s.body}`)).toEqual([
      'DELETE /v1/nodes/user/yoyodyne/fred/annotations/ssh-pubkey/116645369962115 ',
      'DELETE /v1/nodes/data/d?recursive=true ',
      'POST /v1/nodes/data/a b/annotations {"tag":"note","data":"hello world"}',
      'PUT /v1/nodes/data/new {"kind":"dir"}',
      'PUT /v1/nodes/data/new/leaf {"kind":"leaf"}',
    ]);
    expect(seen[2].url).toBe('/v1/nodes/data/a%20b/annotations');
    expect((await am(['annotate', 'am://data/x', 'novalue'])).err).toBe('Error: annotation must be in the form key=value, got novalue\n');
    expect((await am(['mkdir', 'am://data/x'])).out).toBe('Creating directory at am://data/x\nCreated am://data/x\n');
  });

  it('boot sends no credential unless replacing (--force) or merging (--import); a file goes as the body', async () => {
    reply = () => ({ body: { mode: 'boot', nodes: 7, revision: 2, warnings: ['am://user/x: something odd'] } });
    const r = await am(['boot', 'bootstrap', '-u', 'ssh-ed25519 AAAA me@host'], { AM_USER: 'am://user/hpe/bu1/alice', AM_DATA_DIR: dir });
    expect(r).toEqual({ code: 0, out: 'Loaded bootstrap\n', err: 'warning: am://user/x: something odd\n' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/universe?name=bootstrap', body: '' });
    expect(seen[0].headers.authorization).toBeUndefined();
    expect(seen[0].headers['am-operator-key']).toBe('ssh-ed25519 AAAA me@host');

    const file = join(dir, 'u.json');
    writeFileSync(file, '{"path":"am://"}');
    seen = [];
    await am(['boot', file, '--force']);
    expect(seen[0]).toMatchObject({ url: '/v1/universe?force=true', body: '{"path":"am://"}' });
    expect(seen[0].headers.authorization).toBe('Bearer am://user/hpe/bu1/alice');
    expect((await am(['boot', './nope.json'])).err).toBe('Error: no such universe file: ./nope.json\n');

    reply = () => ({ status: 401, type: 'application/problem+json', body: { detail: 'data already exists: a credential is needed to import into it' } });
    expect((await am(['boot', 'new_sample'])).err).toBe('Error: error loading "new_sample": data already exists (use --force to replace the tree, or --import to merge into it)\n');
  });

  it('boot sends the bootstrap token: --token, else $AM_BOOTSTRAP_TOKEN, else the local stack\'s file; refused without, it says what is missing', async () => {
    reply = () => ({ body: { mode: 'boot', nodes: 7, revision: 2, warnings: [] } });
    mkdirSync(join(dir, 'keys'), { recursive: true });
    writeFileSync(join(dir, 'keys', 'bootstrap-token'), 'from-the-stack-data-dir\n');
    const sent = async (argv: string[], env: NodeJS.ProcessEnv) => {
      seen = [];
      expect((await am(argv, env)).code).toBe(0);
      return seen[0].headers.authorization;
    };
    expect(await sent(['boot', 'bootstrap'], { AM_DATA_DIR: dir })).toBe('Bearer from-the-stack-data-dir');
    expect(await sent(['boot', 'bootstrap'], { AM_DATA_DIR: dir, AM_BOOTSTRAP_TOKEN: 'from-env' })).toBe('Bearer from-env');
    expect(await sent(['boot', 'bootstrap', '--token', 'from-flag'], { AM_DATA_DIR: dir, AM_BOOTSTRAP_TOKEN: 'from-env' })).toBe('Bearer from-flag');
    // The local stack's token goes to a gateway on this host only.
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) expect(await localStackToken({ AM_DATA_DIR: dir }, `http://${host}:8080`)).toBe('from-the-stack-data-dir');
    expect(await localStackToken({ AM_DATA_DIR: dir }, 'https://gateway.example')).toBeUndefined();
    expect(await localStackToken({ AM_DATA_DIR: dir }, 'http://127.0.0.1.example.com:8080')).toBeUndefined();

    reply = () => ({ status: 401, type: 'application/problem+json', body: { detail: 'boot is disabled on this endpoint' } });
    expect((await am(['boot', 'bootstrap'], { AM_DATA_DIR: join(dir, 'nowhere') })).err).toBe(
      'Error: error loading "bootstrap": boot is disabled on this endpoint (booting needs the deployment\'s bootstrap token: --token or $AM_BOOTSTRAP_TOKEN)\n',
    );
  });

  it('check exits 3 when not allowed; who-can and what-can print lists', async () => {
    reply = (s) => (s.url === '/v1/check' ? { body: { allowed: false, agent: 'am://user/hpe/bu1/alice', revision: 3 } } : { body: { principals: ['am://user/a'], paths: ['am://data/b'], revision: 3 } });
    const denied = await am(['check', 'read,write', 'am://data/x']);
    expect(denied.code).toBe(3);
    expect(JSON.parse(seen[0].body)).toEqual({ target: 'am://data/x', ops: ['READ', 'WRITE'] });
    expect(denied.err).toBe('Error: not allowed: am://user/hpe/bu1/alice may not READ,WRITE on am://data/x\n');
    expect((await am(['check', 'FLY', 'am://data/x'])).err).toMatch(/^Error: unknown operation FLY/);
    expect((await am(['--output', 'table', 'who-can', 'READ', 'am://data/x', '--under', 'am://user'])).out).toBe('am://user/a\n');
    expect(seen.at(-1)!.url).toBe('/v1/who-can?target=am%3A%2F%2Fdata%2Fx&op=READ&under=am%3A%2F%2Fuser&limit=1000');
    expect(JSON.parse((await am(['what-can', 'ADMIN', 'am://user/a'])).out)).toMatchObject({ paths: ['am://data/b'] });
  });

  it('who-can, what-can and history follow the cursors: every page, in order, as one list', async () => {
    const pages: Record<string, object> = {
      '': { principals: ['am://user/a', 'am://user/b'], events: [{ seq: 1 }], next: 'c1', revision: 9 },
      c1: { principals: ['am://user/c'], events: [{ seq: 2 }], next: 'c2', revision: 9 },
      c2: { principals: ['am://user/d'], events: [{ seq: 3 }], revision: 9 },
    };
    reply = (s) => ({ body: pages[new URL(s.url, 'http://x').searchParams.get('cursor') ?? ''] });
    expect(JSON.parse((await am(['who-can', 'READ', 'am://data/x'])).out)).toEqual({ principals: ['am://user/a', 'am://user/b', 'am://user/c', 'am://user/d'], events: [{ seq: 1 }], revision: 9 });
    expect(seen.map((s) => new URL(s.url, 'http://x').searchParams.get('cursor'))).toEqual([null, 'c1', 'c2']);
    expect(JSON.parse((await am(['history', 'am://data/x'])).out).events).toEqual([{ seq: 1 }, { seq: 2 }, { seq: 3 }]);
    // --limit: the first page only.
    seen.length = 0;
    expect(JSON.parse((await am(['history', '--limit', '1', 'am://data/x'])).out).events).toEqual([{ seq: 1 }]);
    expect(seen).toHaveLength(1);
  });

  it('vouch prints the credential; a compat error body becomes "<path>: <message>"', async () => {
    reply = () => ({ body: { credential: 'a.b.c', error: { error: 0, message: '', global: '0' } } });
    expect((await am(['vouch', 'am://user/yoyodyne/bob'])).out).toBe('a.b.c\n');
    expect(seen[0].url).toBe('/credential?path=am%3A%2F%2Fuser%2Fyoyodyne%2Fbob');
    reply = () => ({ body: { credential: '', error: { error: 1, message: 'permission denied', global: '0' } } });
    expect((await am(['vouch', 'am://user/yoyodyne/bob'])).err).toBe('Error: am://user/yoyodyne/bob: permission denied\n');
  });

  it('every verb has --help with examples', () => {
    const program = buildProgram({ out: () => undefined, err: () => undefined, env: {}, fetch });
    const verbs = program.commands.flatMap((c) => [c, ...c.commands]);
    for (const cmd of verbs) {
      let help = '';
      cmd.configureOutput({ writeOut: (t) => (help += t) });
      cmd.outputHelp();
      expect(`${cmd.name()}: ${help}`).toMatch(/\nExamples:\n {2}.*\bam [a-z-]+/);
    }
    expect(program.commands.map((c) => c.name()).sort()).toEqual(
      ['annotate', 'boot', 'check', 'chperm', 'chrole', 'delegate', 'export', 'history', 'lint', 'ls', 'mk', 'mkdir', 'rm', 'signing-keys', 'status', 'validate', 'vouch', 'what-can', 'who-can', 'whoami', 'pki', 'ca', 'cert', 'crl', 'trust', 'remote'].sort(),
    );
    expect(verbs.filter((c) => c.commands.length === 0 && c.parent !== program).map((c) => `${c.parent!.name()} ${c.name()}`)).toEqual([
      'pki init',
      'ca show',
      'cert sign',
      'cert issue',
      'cert revoke',
      'trust add',
      'trust ls',
      'trust rm',
      'trust pin',
      'trust unpin',
      'remote add',
      'remote ls',
      'remote set-default',
      'remote rm',
    ]);
  });
});
