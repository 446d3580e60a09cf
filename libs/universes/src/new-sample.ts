/**
 * `new_sample`: the demonstration universe (universe-format §9.2, compat-rest §6.13), and
 * `secure_sample`: the same tenants with every subtree closed.
 *
 * Two organisations that cannot see each other: hpe (business units bu1, which administers
 * itself, and bu2) and yoyodyne (whose users exist only through an identity-plugin workload).
 * Beside them: the operator, `demo-god` whose panopticon role is named in every organisational
 * VIEW ACL (it sees everything and can change nothing), a hidden principal (`invisible-man`), a
 * delegating dataset (`daos1`) and `small`, a deeper tree that shows inheritance.
 *
 * new_sample is the reference's data, kept exactly: under default allow (access-model §4.2) it
 * leaves ADMIN, WRITE and APPLYROLE open wherever no ACE applies (bob can administer a bu1
 * workload, bu1's alice bu2's alice, anyone apply hpe-admin). secure_sample adds, and only adds,
 * the ACEs that close each of those: every organisation's directories, principals, datasets and
 * roles are administered, written and applied by that organisation's admin role (bu1 and bu2 by
 * their own), the staff's by operator-admin; its default-open report is empty.
 */
import { ace, aces, anyOf, applied, buildUniverse, dataset, dir, localAce, principal, roles, text, type MetaJson, type UniverseNodeJson } from './builder';
import { HPE, OPERATOR_ADMIN, PANOPTICON, YOYODYNE } from './roles';

/** ADMIN and WRITE on this node itself, for the operator (the root and the four top levels). */
const operatorOwned = (): MetaJson[] => [localAce('ADMIN', [OPERATOR_ADMIN]), localAce('WRITE', [OPERATOR_ADMIN])];

/** Builds one of the two samples: `closed` adds the ACEs secure_sample has on top of new_sample. */
class Sample {
  constructor(private readonly closed: boolean) {}

  /** These ACEs in secure_sample only. */
  also(...meta: (MetaJson | MetaJson[])[]): MetaJson[] {
    return this.closed ? meta.flat() : [];
  }
}

/** Who may see something of an organisation: its members and the all-seeing demo role. */
const hpeEyes = anyOf(HPE.user, PANOPTICON);
const yoyoEyes = anyOf(YOYODYNE.user, PANOPTICON);

function users(s: Sample) {
  const bu1 = dir([...applied(HPE.bu1.user), ...aces(['WRITE', 'ADMIN'], [HPE.bu1.admin])], {
    alice: principal(applied(HPE.bu1.admin)),
    bob: principal(),
    charlie: principal(applied(HPE.special)),
    // Holds bu1-admin yet only bu1 admins (and demo-god) may see it exists.
    'invisible-man': principal(applied(HPE.bu1.admin), ace('VIEW', anyOf(HPE.bu1.admin, PANOPTICON))),
    x: dir([], { y: dir([], { buried: principal() }) }),
  });
  // No ADMIN ACE of its own: administering bu2's users falls back to the hpe-wide default.
  const bu2 = dir([...applied(HPE.bu2.user), ...s.also(aces(['WRITE', 'ADMIN'], [HPE.bu2.admin]))], { alice: principal(applied(HPE.bu2.admin)) });

  const yoyodyne = dir(
    [
      ...applied(YOYODYNE.user),
      localAce('ADMIN', [YOYODYNE.admin]),
      ace('VIEW', anyOf(YOYODYNE.user, YOYODYNE.idPlugin, PANOPTICON)),
      // Inherited by every yoyodyne user: none of them is a demonstration identity.
      ace('VOUCHFOR', [YOYODYNE.idPlugin]),
      ...s.also(aces(['ADMIN', 'WRITE'], [YOYODYNE.admin])),
    ],
    {
      alice: principal(applied(YOYODYNE.admin)),
      bob: principal(applied(YOYODYNE.daos.raw, YOYODYNE.daos.ref)),
      charlie: principal(applied(YOYODYNE.special)),
      david: principal(),
      eve: principal(),
    },
  );

  const xs = (...names: string[]) => Object.fromEntries(names.map((n) => [n, principal()]));
  const small = dir([ace('ADMIN', [OPERATOR_ADMIN]), ...s.also(ace('WRITE', [OPERATOR_ADMIN]))], {
    a: dir([], {
      x1: dir([ace('READ', [OPERATOR_ADMIN])], { y1: principal(applied(HPE.bu1.user)), y2: principal() }),
      x2: dir([], xs('y1', 'y2')),
      x3: dir([], xs('y1', 'y2')),
    }),
  });

  const staff = () => [ace('VIEW', anyOf(OPERATOR_ADMIN, PANOPTICON)), ...s.also(ace('ADMIN', [OPERATOR_ADMIN]))];
  return dir(operatorOwned(), {
    'the-operator': principal(applied(OPERATOR_ADMIN), staff()),
    'demo-god': principal(applied(PANOPTICON), staff()),
    hpe: dir([...applied(HPE.user), localAce('ADMIN', [HPE.admin]), ace('VIEW', hpeEyes), ...s.also(localAce('WRITE', [HPE.admin]))], { bu1, bu2 }),
    yoyodyne,
    small,
  });
}

function workloads(s: Sample) {
  return dir(operatorOwned(), {
    yoyodyne: dir([ace('VIEW', anyOf(YOYODYNE.user, YOYODYNE.idPlugin, PANOPTICON)), ...s.also(aces(['ADMIN', 'WRITE'], [YOYODYNE.admin]))], {
      // A directory acting as a principal (as in the reference sample): the plugin's identity.
      'id-plugin': dir(applied(YOYODYNE.idPlugin)),
    }),
    hpe: dir([ace('VIEW', anyOf(HPE.user, HPE.idPlugin, PANOPTICON)), ...s.also(localAce('ADMIN', [HPE.admin]), localAce('WRITE', [HPE.admin]))], {
      // Has no VOUCHFOR grant anywhere, and cannot even see am://user/hpe.
      'id-plugin': dir([...applied(HPE.idPlugin), ...s.also(aces(['ADMIN', 'WRITE'], [HPE.admin]))]),
      bu1: dir([...applied(HPE.bu1.workload), ...s.also(aces(['ADMIN', 'WRITE'], [HPE.bu1.admin]))], {
        'monthly-summary': principal(applied(HPE.bu1.aggregator, HPE.bu1.query)),
        ingester: principal(applied(HPE.bu1.ingest)),
        dashboard: principal(applied(HPE.bu1.query)),
      }),
    }),
  });
}

function data(s: Sample) {
  const daosRoles = anyOf(YOYODYNE.daos.raw, YOYODYNE.daos.ref, YOYODYNE.daos.std);
  const delegated = JSON.stringify({ delegatedAttributes: daosRoles });
  return dir(operatorOwned(), {
    yoyodyne: dir([...aces(['ADMIN', 'WRITE'], [YOYODYNE.admin]), ace('VIEW', yoyoEyes)], {
      daos1: dataset(aces(['READ', 'WRITE'], daosRoles), text('data-info', delegated)),
    }),
    hpe: dir([localAce('ADMIN', [HPE.admin]), ace('VIEW', hpeEyes), ...s.also(localAce('WRITE', [HPE.admin]))], {
      pig: dataset(s.also(aces(['ADMIN', 'WRITE'], [HPE.admin]))),
      foo: dataset(s.also(aces(['ADMIN', 'WRITE'], [HPE.admin]))),
      // (secure_sample: bu1's WRITE is local, so writing hot-data and raw-data still needs only their own roles.)
      bu1: dir([ace('ADMIN', [HPE.bu1.admin]), ace('VIEW', anyOf(HPE.bu1.user, PANOPTICON)), ...s.also(localAce('WRITE', [HPE.bu1.admin]))], {
        'hot-data': dataset(ace('WRITE', [HPE.bu1.aggregator]), ace('READ', [HPE.bu1.query])),
        'raw-data': dataset(ace('WRITE', [HPE.bu1.ingest]), ace('READ', [HPE.bu1.aggregator])),
        special: dataset(s.also(ace('WRITE', [HPE.bu1.admin]))),
      }),
    }),
    dir: dir(s.also(aces(['ADMIN', 'WRITE'], [OPERATOR_ADMIN])), { bar: dataset() }),
  });
}

function roleTree(s: Sample) {
  const staffRole = () => [ace('ADMIN', [OPERATOR_ADMIN]), ace('VIEW', anyOf(OPERATOR_ADMIN, PANOPTICON)), localAce('WRITE', [OPERATOR_ADMIN]), ...s.also(ace('APPLYROLE', [OPERATOR_ADMIN]))];
  const delegatedUnit = (admin: string) => [...aces(['ADMIN', 'APPLYROLE', 'USEROLE'], [admin]), ...s.also(ace('WRITE', [admin]))];
  /** secure_sample: an organisation-wide role is administered and applied by the organisation's admin. */
  const owned = (admin: string, ...meta: MetaJson[]) => [...meta, ...s.also(aces(['ADMIN', 'APPLYROLE'], [admin]))];
  return dir(operatorOwned(), {
    ...roles({ 'operator-admin': staffRole(), panopticon: staffRole() }),
    yoyodyne: dir([localAce('ADMIN', [YOYODYNE.admin]), ace('VIEW', yoyoEyes), ...s.also(localAce('WRITE', [YOYODYNE.admin]))], {
      ...roles({
        'yoyo-user': owned(YOYODYNE.admin),
        'id-plugin': owned(YOYODYNE.admin),
        'yoyo-admin': owned(YOYODYNE.admin, ace('VIEW', anyOf(YOYODYNE.admin, PANOPTICON))),
      }),
      daos: dir(s.also(aces(['ADMIN', 'APPLYROLE', 'WRITE'], [YOYODYNE.admin])), roles({ raw: [], ref: [], std: [] })),
    }),
    hpe: dir([ace('VIEW', hpeEyes), localAce('ADMIN', [HPE.admin]), ...s.also(localAce('WRITE', [HPE.admin]))], {
      ...roles({ 'hpe-user': owned(HPE.admin), 'hpe-workload': owned(HPE.admin), 'hpe-admin': owned(HPE.admin), 'id-plugin': owned(HPE.admin) }),
      bu1: dir(
        delegatedUnit(HPE.bu1.admin),
        roles({
          'bu1-admin': [ace('VIEW', anyOf(HPE.bu1.admin, PANOPTICON))],
          'hpe-special': [ace('VIEW', hpeEyes)],
          'bu1-aggregator': [],
          'bu1-query': [],
          'bu1-workload': [],
          'bu1-ingest': [],
          'bu1-user': [],
        }),
      ),
      bu2: dir([ace('VIEW', hpeEyes), ...delegatedUnit(HPE.bu2.admin)], roles({ 'bu2-admin': [ace('VIEW', anyOf(HPE.bu2.admin, PANOPTICON))], 'bu2-user': [] })),
    }),
  });
}

function sample(closed: boolean): UniverseNodeJson {
  const s = new Sample(closed);
  return buildUniverse(dir(operatorOwned(), { user: users(s), workload: workloads(s), data: data(s), role: roleTree(s) }), 1000n);
}

export function newSampleUniverse(): UniverseNodeJson {
  return sample(false);
}

export function secureSampleUniverse(): UniverseNodeJson {
  return sample(true);
}
