/**
 * Names in server certificates (docs/access-model-decisions.md, Certificates): the `cert-names`
 * grant syntax and matching, the decision `authorizeCertificate`, and who may write a grant.
 */
import { AccessEngine, ChangeRequest } from '@am/engine';
import { exportUniverseText, grantCovers, parseCertNameGrants, parseRequestedCertNames, parseUniverseText, UniverseFormatError } from '@am/model';
import { engineFromJson, errorOf, note, NOW, valueOf } from './helpers';

const ADMIN_ROLE = 'am://role/admin';
const OP = 'am://user/op';
const WEB = 'am://workload/web';
const API = 'am://workload/area/api';
const OTHER = 'am://workload/area/other';
const RESERVED = ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1'];

const leaf = (path: string, meta: unknown[] = []) => ({ path, meta: [{ tag: 'leaf' }, ...meta] });
const grant = (data: string, extra: Record<string, unknown> = {}) => ({ tag: 'cert-names', data, ...extra });

function engine(): AccessEngine {
  return engineFromJson({
    path: 'am://',
    children: [
      { path: 'am://user', children: [leaf(OP, [{ tag: 'applied-role', role: ADMIN_ROLE }])] },
      { path: 'am://role', children: [leaf(ADMIN_ROLE)] },
      { path: 'am://data' },
      {
        path: 'am://workload',
        children: [
          leaf(WEB),
          {
            path: 'am://workload/area',
            meta: [
              { tag: 'ace', op: 'ADMIN', acls: [{ roles: [ADMIN_ROLE] }] },
              { tag: 'ace', op: 'VOUCHFOR', acls: [{ roles: [ADMIN_ROLE] }] },
              // Inherited by every workload of the area; an expired grant counts for nothing.
              grant('DNS:*.area.example.com, IP:10.1.0.0/16 IP:fd00:1::/64'),
              grant('DNS:expired.example.com', { endMillis: NOW - 1 }),
            ],
            children: [leaf(API, [grant('DNS:api.example.com\nDNS:localhost IP:127.0.0.1')]), leaf(OTHER)],
          },
        ],
      },
    ],
  });
}

const ask = (e: AccessEngine, caller: string, principal: string, names: { dns?: string[]; ip?: string[] } = {}) =>
  e.authorizeCertificate(caller, { principal, dns: names.dns ?? [], ip: names.ip ?? [], reserved: RESERVED, allowSelf: true }, NOW);

describe('cert-names matching', () => {
  const covers = (grants: string, name: { dns?: string[]; ip?: string[] }) => {
    const [n] = parseRequestedCertNames(name.dns ?? [], name.ip ?? []);
    return parseCertNameGrants(grants, 'test').some((g) => grantCovers(g, n));
  };

  it('DNS: exact names in any case; a wildcard is exactly one leftmost label', () => {
    expect(covers('DNS:Api.Example.com', { dns: ['API.example.COM'] })).toBe(true);
    expect(covers('DNS:api.example.com', { dns: ['web.example.com'] })).toBe(false);
    expect(covers('DNS:*.example.com', { dns: ['a.example.com'] })).toBe(true);
    expect(covers('DNS:*.example.com', { dns: ['a.b.example.com'] })).toBe(false);
    expect(covers('DNS:*.example.com', { dns: ['example.com'] })).toBe(false);
    expect(covers('DNS:*.example.com', { dns: ['aexample.com'] })).toBe(false);
    expect(covers('DNS:*.example.com', { dns: ['xn--bcher-kva.example.com'] })).toBe(true);
    expect(covers('DNS:example.com', { ip: ['10.0.0.1'] })).toBe(false);
  });

  it('IP: exact addresses and CIDR blocks, IPv4 and IPv6 compared as bytes', () => {
    expect(covers('IP:10.1.0.0/16', { ip: ['10.1.255.7'] })).toBe(true);
    expect(covers('IP:10.1.0.0/16', { ip: ['10.2.0.1'] })).toBe(false);
    expect(covers('IP:10.0.0.5', { ip: ['10.0.0.5'] })).toBe(true);
    expect(covers('IP:10.0.0.5', { ip: ['10.0.0.6'] })).toBe(false);
    expect(covers('IP:0.0.0.0/0', { ip: ['::1'] })).toBe(false);
    expect(covers('IP:fd00::/8', { ip: ['FD12:0:0:0:0:0:0:1'] })).toBe(true);
    expect(covers('IP:::1', { ip: ['0:0:0:0:0:0:0:1'] })).toBe(true);
    expect(covers('IP:fd00:1::/64', { ip: ['fd00:1:0:1::1'] })).toBe(false);
    // IPv4-mapped IPv6 has no spelling at all: one address, one name.
    expect(() => covers('IP:::ffff:0:0/96', { ip: ['::fffe:1'] })).toThrow(/not an IP address/);
  });

  it('refuses malformed grants with the entry named', () => {
    for (const [text, why] of [
      ['localhost', /is not DNS:<name>/],
      ['DNS:*', /is not a DNS name/],
      ['DNS:*.com', /too wide/],
      ['DNS:a.*.example.com', /is not a DNS name/],
      ['DNS:bücher.example', /A-labels/],
      ['DNS:example.com.', /trailing dot/],
      ['DNS:1.2.3.4', /numeric label/],
      ['IP:10.0.0.1/16', /bits set after the prefix .*10\.0\.0\.0\/16/],
      ['IP:10.0.0.0/33', /prefix length outside 0-32/],
      ['IP:010.0.0.1', /not an IP address/],
      ['IP:fe80::1%eth0', /not an IP address/],
      ['IP:1.2.3.4::', /not an IP address/],
      ['', /names no certificate name/],
    ] as const) {
      expect(() => parseCertNameGrants(text, 'the list')).toThrow(why);
    }
  });

  it('refuses malformed or ambiguous requested names (400, before any grant is looked at)', () => {
    expect(() => parseRequestedCertNames(['*.example.com'], [])).toThrow(/wildcard names are not issued/);
    expect(() => parseRequestedCertNames(['localhost.'], [])).toThrow(/trailing dot/);
    expect(() => parseRequestedCertNames(['127.0.0.1'], [])).toThrow(/numeric label/);
    expect(() => parseRequestedCertNames(['bücher.example'], [])).toThrow(/xn--/);
    expect(() => parseRequestedCertNames([], ['::ffff:127.0.0.1'])).toThrow(/IPv4-mapped IPv6 is written as IPv4/);
    expect(() => parseRequestedCertNames([], ['127.1'])).toThrow(/not an IP address/);
  });
});

describe('authorizeCertificate (policy decides, on one view)', () => {
  const e = engine();

  it('issues exactly granted names: own grants, inherited wildcards and CIDRs, any case', () => {
    expect(valueOf(ask(e, API, API, { dns: ['api.example.com', 'X.Area.Example.com'], ip: ['10.1.2.3', 'fd00:1::7'] }))).toBe(API);
    // A grant is the principal's, whoever asks for its certificate (here an admin who may vouch).
    expect(valueOf(ask(e, OP, API, { dns: ['api.example.com'] }))).toBe(API);
    expect(valueOf(ask(e, OTHER, OTHER, { dns: ['other.area.example.com'] }))).toBe(OTHER);
  });

  it('refuses a name that is not granted, naming it and the principal', () => {
    expect(errorOf(ask(e, OTHER, OTHER, { dns: ['api.example.com'] }))).toEqual({
      code: 'permission-denied',
      message: expect.stringMatching(/^certificate name "DNS:api\.example\.com" is not granted to am:\/\/workload\/area\/other \(grant it with a cert-names annotation/),
    });
    expect(errorOf(ask(e, API, API, { dns: ['a.b.area.example.com'] })).message).toContain('"DNS:a.b.area.example.com" is not granted');
    expect(errorOf(ask(e, API, API, { dns: ['area.example.com'] })).message).toContain('"DNS:area.example.com" is not granted');
    expect(errorOf(ask(e, API, API, { dns: ['expired.example.com'] })).message).toContain('"DNS:expired.example.com" is not granted');
    expect(errorOf(ask(e, API, API, { ip: ['10.2.0.1'] })).message).toContain('"IP:10.2.0.1" is not granted');
    expect(errorOf(ask(e, WEB, WEB, { dns: ['web.example.com'] })).message).toContain('"DNS:web.example.com" is not granted to am://workload/web');
  });

  it('refuses reserved names even when the tree grants them', () => {
    expect(errorOf(ask(e, API, API, { dns: ['localhost'] }))).toEqual({ code: 'permission-denied', message: 'certificate name "DNS:localhost" is reserved for the gateway' });
    expect(errorOf(ask(e, API, API, { dns: ['LocalHost'] })).message).toBe('certificate name "DNS:localhost" is reserved for the gateway');
    expect(errorOf(ask(e, API, API, { ip: ['127.0.0.1'] })).message).toBe('certificate name "IP:127.0.0.1" is reserved for the gateway');
    expect(errorOf(ask(e, API, API, { ip: ['0:0::1'] })).message).toBe('certificate name "IP:::1" is reserved for the gateway');
  });

  it('keeps the vouch rule, and client certificates need no grant', () => {
    expect(valueOf(ask(e, WEB, WEB))).toBe(WEB);
    expect(errorOf(ask(e, WEB, API, { dns: ['api.example.com'] })).code).toBe('permission-denied');
    expect(errorOf(ask(e, WEB, API, { dns: ['api.example.com'] })).message).toBe(`permission denied: cannot vouch for ${API}`);
    expect(errorOf(ask(e, OP, OP, { dns: ['op.example.com'] }))).toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('am://workload/') });
    expect(errorOf(ask(e, API, API, { dns: ['*.area.example.com'] })).code).toBe('invalid-argument');
  });
});

describe('writing cert-names grants', () => {
  const put = (path: string, data: string): ChangeRequest => ({ kind: 'put-annotation', path, annotation: note(data, { tag: 'cert-names' }) });

  it('a principal cannot grant names to itself, directly or through a directory above it; an administrator can', () => {
    const e = engine();
    // In this tree nothing restricts ADMIN on am://workload/web: web administers itself, yet may not grant itself names.
    expect(valueOf(e.authorize(WEB, { kind: 'put-annotation', path: WEB, annotation: note('x') }, NOW)).kind).toBe('put-annotation');
    expect(errorOf(e.authorize(WEB, put(WEB, 'DNS:web.example.com'), NOW))).toEqual({
      code: 'permission-denied',
      message: expect.stringContaining('cannot grant certificate names to itself'),
    });
    expect(errorOf(e.authorize(WEB, put('am://workload', 'DNS:web.example.com'), NOW)).code).toBe('permission-denied');
    const change = valueOf(e.authorize(OP, put(WEB, 'DNS:web.example.com'), NOW));
    e.apply(change);
    expect(valueOf(ask(e, WEB, WEB, { dns: ['web.example.com'] }))).toBe(WEB);
    // Giving names up is no escalation: ADMIN is enough.
    expect(change.kind === 'put-annotation' && valueOf(e.authorize(WEB, { kind: 'delete-annotation', path: WEB, tag: 'cert-names', unique: change.annotation.unique }, NOW)).kind).toBe(
      'delete-annotation',
    );
  });

  it('needs ADMIN on the node (403 for a workload of the area), a valid list (400) and a workload path (400)', () => {
    const e = engine();
    expect(errorOf(e.authorize(OTHER, put(API, 'DNS:evil.example.com'), NOW))).toEqual({ code: 'permission-denied', message: `permission denied: cannot change annotations of ${API}` });
    expect(errorOf(e.authorize(OP, put(WEB, 'DNS:ok.example.com, web.example.com'), NOW))).toEqual({
      code: 'invalid-argument',
      message: expect.stringContaining('"web.example.com" is not DNS:<name>'),
    });
    expect(errorOf(e.authorize(OP, put(OP, 'DNS:op.example.com'), NOW))).toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('put it on am://workload or below') });
  });
});

describe('cert-names in universe files', () => {
  it('loads, exports and loads again unchanged; a malformed grant refuses the load', () => {
    const text = JSON.stringify({
      path: 'am://',
      children: [{ path: 'am://user' }, { path: 'am://role' }, { path: 'am://data' }, { path: 'am://workload', children: [leaf(WEB, [grant('DNS:web.example.com IP:10.0.0.0/8', { unique: 5 })])] }],
    });
    const once = exportUniverseText(parseUniverseText(text).universe);
    expect(once).toContain('"DNS:web.example.com IP:10.0.0.0/8"');
    expect(exportUniverseText(parseUniverseText(once).universe)).toBe(once);
    expect(() => parseUniverseText(text.replace('IP:10.0.0.0/8', 'IP:10.0.0.1/8'))).toThrow(UniverseFormatError);
    expect(() => parseUniverseText(text.replace('IP:10.0.0.0/8', 'IP:10.0.0.1/8'))).toThrow(/bits set after the prefix/);
  });
});
