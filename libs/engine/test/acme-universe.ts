/**
 * A small universe written for the §9 table tests: one organisation (acme) with a boss, a plain
 * member, a hidden principal, an identity plugin, datasets of each kind, and an outsider governed
 * by nothing but default allow. Roles are abbreviated in the tests with `role('boss')` etc.
 */
export const role = (name: string) => (name === 'op' ? 'am://role/op' : name === 'other' ? 'am://role/other' : `am://role/acme/${name}`);
const acl = (...names: string[]) => ({ roles: names.map(role) });
const ace = (op: string, acls: { roles: string[] }[], extra: Record<string, unknown> = {}) => ({ tag: 'ace', op, acls, ...extra });
const leaf = (path: string, meta: unknown[] = []) => ({ path, meta: [{ tag: 'leaf' }, ...meta], children: null });
const applied = (name: string, extra: Record<string, unknown> = {}) => ({ tag: 'applied-role', role: name.startsWith('am://') ? name : role(name), ...extra });

export const U = {
  op: 'am://user/op',
  boss: 'am://user/acme/boss',
  pat: 'am://user/acme/pat',
  ghost: 'am://user/acme/ghost',
  sub: 'am://user/acme/sub',
  box: 'am://user/acme/box',
  outsider: 'am://user/outsider',
  plugin: 'am://workload/plugin',
  bot: 'am://workload/team/bot',
  native: 'am://user/native',
  ds: 'am://data/acme/ds',
  deleg: 'am://data/acme/deleg',
  nodata: 'am://data/acme/nodata',
  badinfo: 'am://data/acme/badinfo',
  free: 'am://data/free',
};

export const ACME_UNIVERSE = {
  path: 'am://',
  meta: [ace('ADMIN', [acl('op')], { local: true }), ace('WRITE', [acl('op')], { local: true })],
  children: [
    {
      path: 'am://role',
      meta: [ace('WRITE', [acl('op')], { local: true })],
      children: [
        leaf('am://role/op', [{ tag: 'role' }, ace('VIEW', [acl('op')])]),
        leaf('am://role/other', [{ tag: 'role' }]),
        {
          path: 'am://role/acme',
          meta: [ace('VIEW', [acl('member', 'plugin', 'op')]), ace('APPLYROLE', [acl('boss')]), ace('USEROLE', [acl('boss')])],
          children: [leaf('am://role/acme/member'), leaf('am://role/acme/boss'), leaf('am://role/acme/plugin'), leaf('am://role/acme/secret', [ace('VIEW', [acl('op')])])],
        },
      ],
    },
    {
      path: 'am://user',
      meta: [ace('WRITE', [acl('op')], { local: true })],
      children: [
        leaf(U.op, [applied('op'), { tag: 'ssh-public-key', data: 'ssh-ed25519 AAAAop op@host' }]),
        leaf(U.outsider, [
          applied('boss', { unique: 77 }),
          applied('am://role/gone', { unique: 78 }),
          applied('secret', { unique: 79 }),
          ace('READ', [acl('boss')], { unique: 60 }),
          ace('READ', [{ roles: ['am://role/gone'] }], { unique: 61 }),
        ]),
        leaf(U.native, [{ tag: 'ssh-pubkey', data: 'ssh-ed25519 AAAAnative n@host' }, ace('VOUCHFOR', [{ roles: ['am://role/native-login'] }])]),
        {
          path: 'am://user/acme',
          meta: [
            applied('member'),
            ace('VIEW', [acl('member', 'plugin', 'op')]),
            ace('ADMIN', [acl('boss', 'op')]),
            ace('WRITE', [acl('boss', 'op')]),
            ace('VOUCHFOR', [acl('plugin')]),
          ],
          children: [
            leaf(U.boss, [applied('boss'), { tag: 'note', data: 'corner office', unique: 5 }]),
            leaf(U.pat),
            leaf(U.ghost, [ace('VIEW', [acl('op')])]),
            {
              path: U.sub,
              meta: [ace('WRITE', [acl('op')], { local: true })],
              children: [leaf(`${U.sub}/deep`), leaf(`${U.sub}/hush`, [ace('VIEW', [acl('op')])])],
            },
            { path: U.box, meta: [ace('WRITE', [acl('op')], { local: true })], children: [leaf(`${U.box}/hush`, [ace('VIEW', [acl('op')])])] },
          ],
        },
      ],
    },
    {
      path: 'am://workload',
      children: [
        leaf(U.plugin, [applied('plugin')]),
        { path: 'am://workload/team', meta: [{ tag: 'ssh-pubkey', data: 'ssh-ed25519 AAAAteam t@host' }], children: [leaf(U.bot)] },
      ],
    },
    {
      path: 'am://data',
      children: [
        {
          path: 'am://data/acme',
          meta: [ace('VIEW', [acl('member', 'op')]), ace('ADMIN', [acl('boss')]), { tag: 'data-credential-provider', data: '{"factory":"nats:creds.acme"}' }],
          children: [
            leaf(U.ds, [{ tag: 'data' }, ace('READ', [acl('boss')], { unique: 50 }), ace('WRITE', [acl('boss')]), { tag: 'data-info', data: '{}' }]),
            leaf(U.deleg, [{ tag: 'data-info', data: JSON.stringify({ delegatedAttributes: [role('other'), role('member')] }) }]),
            leaf(U.nodata),
            leaf(U.badinfo, [{ tag: 'data-info', data: '{nope' }]),
          ],
        },
        leaf(U.free, [{ tag: 'data-info', data: '{}' }]),
      ],
    },
  ],
};
