import { engineFromJson, fixtureEngine, NOW, valueOf } from './helpers';

/** A compact universe: `path` then its meta; directories unless `leaf`. */
const node = (path: string, meta: unknown[] = [], children: unknown[] | null = []) => ({ path, meta, children });
const leaf = (path: string, meta: unknown[] = []) => node(path, [{ tag: 'leaf' }, ...meta], null);
const ace = (op: string, roles: string[], local = false) => ({ tag: 'ace', op, local, acls: [{ roles }] });
const role = (r: string) => ({ tag: 'applied-role', role: r });
const ADMIN_ROLE = 'am://role/admin';
const report = (e: ReturnType<typeof engineFromJson>, asker?: string, under = 'am://') => valueOf(e.defaultOpen(asker, under, NOW)).map((r) => `${r.operation} ${r.path} ${r.nodes}`);

describe('the default-open report', () => {
  // A closed root, a tenant that closes itself only locally, and one closed for good.
  const tree = () =>
    engineFromJson(
      node('am://', [ace('ADMIN', [ADMIN_ROLE], true), ace('WRITE', [ADMIN_ROLE], true)], [
        node('am://data', [ace('ADMIN', [ADMIN_ROLE]), ace('WRITE', [ADMIN_ROLE])]),
        node('am://role', [ace('ADMIN', [ADMIN_ROLE]), ace('WRITE', [ADMIN_ROLE])], [leaf('am://role/admin', [ace('APPLYROLE', [ADMIN_ROLE])]), leaf('am://role/user')]),
        node('am://user', [ace('ADMIN', [ADMIN_ROLE], true), ace('WRITE', [ADMIN_ROLE], true), ace('VIEW', [ADMIN_ROLE, 'am://role/user'])], [
          leaf('am://user/op', [role(ADMIN_ROLE)]),
          node('am://user/t', [ace('ADMIN', [ADMIN_ROLE], true), ace('WRITE', [ADMIN_ROLE])], [
            leaf('am://user/t/a', [role('am://role/user')]),
            node('am://user/t/hidden', [ace('VIEW', [ADMIN_ROLE], true)], [leaf('am://user/t/hidden/b', [ace('VIEW', [ADMIN_ROLE])]), leaf('am://user/t/hidden/c')]),
          ]),
          node('am://user/closed', [ace('ADMIN', [ADMIN_ROLE]), ace('WRITE', [ADMIN_ROLE])], [leaf('am://user/closed/d')]),
        ]),
        node('am://workload', [ace('ADMIN', [ADMIN_ROLE]), ace('WRITE', [ADMIN_ROLE])]),
      ]),
    );

  it('reports each open region once at its top, counting the nodes where the operation gives something away', () => {
    expect(report(tree())).toEqual([
      // APPLYROLE only counts on roles; WRITE not on principal leaves; a local ACE closes its own node only.
      // (reported at the top of its chain: am://role itself has no APPLYROLE ACE either)
      'APPLYROLE am://role 1',
      'ADMIN am://user/op 1',
      'ADMIN am://user/t/a 1',
      'ADMIN am://user/t/hidden 3',
    ]);
  });

  it('shows an asker only what it can see: a hidden top moves the report down to what is visible', () => {
    // a sees neither hidden nor b, but c (VIEW for users): c is reported as its own top.
    expect(report(tree(), 'am://user/t/a')).toEqual(['APPLYROLE am://role 1', 'ADMIN am://user/op 1', 'ADMIN am://user/t/a 1', 'ADMIN am://user/t/hidden/c 1']);
    expect(report(tree(), 'am://user/op', 'am://user/t')).toEqual(['ADMIN am://user/t/a 1', 'ADMIN am://user/t/hidden 3']);
    expect(valueOf(tree().defaultOpen('am://user/t/a', 'am://user/closed', NOW))).toEqual([]);
    expect(tree().defaultOpen('am://user/t/a', 'am://user/t/hidden', NOW)).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it('finds in the reference new_sample the holes found by hand: a bu1 workload, bu2 administered by anyone, every role applicable', () => {
    const found = report(fixtureEngine('new_sample'));
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/^ADMIN am:\/\/workload\/hpe \d+$/), expect.stringMatching(/^ADMIN am:\/\/user\/hpe\/bu2 2$/), expect.stringMatching(/^APPLYROLE am:\/\/role \d+$/)]));
  });
});
