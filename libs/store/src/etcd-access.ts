import { randomBytes } from 'node:crypto';
import { Range, type Etcd3, type IPermissionRequest } from 'etcd3';
import { KeyLayout } from './keys';

/**
 * Who may touch which etcd keys: one etcd user per service, each with one role of the same name.
 * This table is the only place that knows it; the test harness, the local stack (`npm run up`) and
 * compose's etcd-setup all apply it with `ensureEtcdAccess`. Each service writes only the domain it
 * owns and reads only what it verifies with. `root` (etcd's administrator) is for the stack tool
 * and tests: with --client-cert-auth, etcd takes the user from the client certificate's CN.
 */
export const ETCD_SERVICE_USERS = ['policy', 'identity', 'pki', 'gateway'] as const;
export type EtcdServiceUser = (typeof ETCD_SERVICE_USERS)[number];
export const ETCD_ROOT_USER = 'root';

export interface EtcdGrant {
  permission: 'Read' | 'Readwrite';
  /** A key prefix. */
  prefix: string;
}

export function etcdGrants(prefix: string): Record<EtcdServiceUser, EtcdGrant[]> {
  const keys = new KeyLayout(prefix);
  const signingKeys: EtcdGrant = { permission: 'Read', prefix: keys.signingKeys() };
  // What every verifier watches: the CA chain, CRL, revocations, anchors and pins (PkiLayout.live).
  const pkiLive: EtcdGrant = { permission: 'Read', prefix: `${keys.domain('pki')}live/` };
  return {
    policy: [{ permission: 'Readwrite', prefix: keys.domain('meta') }, { permission: 'Readwrite', prefix: keys.domain('events') }, { permission: 'Readwrite', prefix: keys.domain('history') }, signingKeys, pkiLive],
    identity: [{ permission: 'Readwrite', prefix: keys.domain('identity') }],
    pki: [{ permission: 'Readwrite', prefix: keys.domain('pki') }],
    gateway: [signingKeys, pkiLive],
  };
}

const sameRange = (a: Range, b: Range) => a.start.equals(b.start) && a.end.equals(b.end);

/**
 * Makes etcd's users, roles and permissions exactly the table's, then turns authentication on.
 * `prefixes`: the AM_ETCD_PREFIX values in use (one, except in tests). Idempotent: run on every start, also on a data dir from before authentication (then `root` is
 * the client of an open etcd). Passwords are random and thrown away: users authenticate by cert.
 */
export async function ensureEtcdAccess(root: Etcd3, prefixes: readonly string[]): Promise<void> {
  const users = new Set((await root.getUsers()).map((u) => u.name));
  const roles = new Set((await root.getRoles()).map((r) => r.name));
  const unusedPassword = () => randomBytes(24).toString('base64url');
  if (!users.has(ETCD_ROOT_USER)) await root.user(ETCD_ROOT_USER).create(unusedPassword());
  if (!roles.has(ETCD_ROOT_USER)) await root.role(ETCD_ROOT_USER).create();
  await addRole(root, ETCD_ROOT_USER, ETCD_ROOT_USER);
  const tables = prefixes.map(etcdGrants);
  for (const name of ETCD_SERVICE_USERS) {
    const grants = tables.flatMap((t) => t[name]);
    if (!roles.has(name)) await root.role(name).create();
    const role = root.role(name);
    const wanted: IPermissionRequest[] = grants.map((g) => ({ permission: g.permission, range: Range.prefix(g.prefix) }));
    const held = await role.permissions();
    const stale = held.filter((h) => !wanted.some((w) => 'range' in w && w.permission === h.permission && sameRange(w.range, h.range)));
    // etcd revokes by range (all permissions on it); the wanted ones on the same range are granted again below.
    // One call each: etcd3 1.1.2's revoke of an array grants them instead.
    for (const s of stale) await role.revoke({ permission: s.permission, range: s.range });
    const kept = held.filter((h) => !stale.includes(h));
    const missing = wanted.filter((w) => 'range' in w && !kept.some((h) => h.permission === w.permission && sameRange(w.range, h.range)));
    if (missing.length) await role.grant(missing);
    if (!users.has(name)) await root.user(name).create(unusedPassword());
    await addRole(root, name, name);
  }
  await root.auth.authEnable();
}

async function addRole(root: Etcd3, user: string, role: string): Promise<void> {
  const has = (await root.user(user).roles()).some((r) => r.name === role);
  if (!has) await root.user(user).addRole(role);
}
