/**
 * `new_sample`: the demonstration universe (universe-format §9.2, compat-rest §6.13).
 *
 * Two organisations that cannot see each other: hpe (business units bu1, which administers
 * itself, and bu2) and yoyodyne (whose users exist only through an identity-plugin workload).
 * Beside them: the operator, `demo-god` whose panopticon role is named in every organisational
 * VIEW ACL (it sees everything and can change nothing), a hidden principal (`invisible-man`), a
 * delegating dataset (`daos1`) and `small`, a deeper tree that shows inheritance.
 */
import { ace, aces, anyOf, applied, buildUniverse, dataset, dir, localAce, principal, roles, text, type MetaJson, type UniverseNodeJson } from './builder';
import { HPE, OPERATOR_ADMIN, PANOPTICON, YOYODYNE } from './roles';

/** ADMIN and WRITE on this node itself, for the operator (the root and the four top levels). */
const operatorOwned = (): MetaJson[] => [localAce('ADMIN', [OPERATOR_ADMIN]), localAce('WRITE', [OPERATOR_ADMIN])];

/** Who may see something of an organisation: its members and the all-seeing demo role. */
const hpeEyes = anyOf(HPE.user, PANOPTICON);
const yoyoEyes = anyOf(YOYODYNE.user, PANOPTICON);

function users() {
  const bu1 = dir([...applied(HPE.bu1.user), ...aces(['WRITE', 'ADMIN'], [HPE.bu1.admin])], {
    alice: principal(applied(HPE.bu1.admin)),
    bob: principal(),
    charlie: principal(applied(HPE.special)),
    // Holds bu1-admin yet only bu1 admins (and demo-god) may see it exists.
    'invisible-man': principal(applied(HPE.bu1.admin), ace('VIEW', anyOf(HPE.bu1.admin, PANOPTICON))),
    x: dir([], { y: dir([], { buried: principal() }) }),
  });
  // No ADMIN ACE of its own: administering bu2's users falls back to the hpe-wide default.
  const bu2 = dir(applied(HPE.bu2.user), { alice: principal(applied(HPE.bu2.admin)) });

  const yoyodyne = dir(
    [
      ...applied(YOYODYNE.user),
      localAce('ADMIN', [YOYODYNE.admin]),
      ace('VIEW', anyOf(YOYODYNE.user, YOYODYNE.idPlugin, PANOPTICON)),
      // Inherited by every yoyodyne user: none of them is a demonstration identity.
      ace('VOUCHFOR', [YOYODYNE.idPlugin]),
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
  const small = dir([ace('ADMIN', [OPERATOR_ADMIN])], {
    a: dir([], {
      x1: dir([ace('READ', [OPERATOR_ADMIN])], { y1: principal(applied(HPE.bu1.user)), y2: principal() }),
      x2: dir([], xs('y1', 'y2')),
      x3: dir([], xs('y1', 'y2')),
    }),
  });

  const seenByStaff = ace('VIEW', anyOf(OPERATOR_ADMIN, PANOPTICON));
  return dir(operatorOwned(), {
    'the-operator': principal(applied(OPERATOR_ADMIN), seenByStaff),
    'demo-god': principal(applied(PANOPTICON), seenByStaff),
    hpe: dir([...applied(HPE.user), localAce('ADMIN', [HPE.admin]), ace('VIEW', hpeEyes)], { bu1, bu2 }),
    yoyodyne,
    small,
  });
}

function workloads() {
  return dir(operatorOwned(), {
    yoyodyne: dir([ace('VIEW', anyOf(YOYODYNE.user, YOYODYNE.idPlugin, PANOPTICON))], {
      // A directory acting as a principal (as in the reference sample): the plugin's identity.
      'id-plugin': dir(applied(YOYODYNE.idPlugin)),
    }),
    hpe: dir([ace('VIEW', anyOf(HPE.user, HPE.idPlugin, PANOPTICON))], {
      // Has no VOUCHFOR grant anywhere, and cannot even see am://user/hpe.
      'id-plugin': dir(applied(HPE.idPlugin)),
      bu1: dir(applied(HPE.bu1.workload), {
        'monthly-summary': principal(applied(HPE.bu1.aggregator, HPE.bu1.query)),
        ingester: principal(applied(HPE.bu1.ingest)),
        dashboard: principal(applied(HPE.bu1.query)),
      }),
    }),
  });
}

function data() {
  const daosRoles = anyOf(YOYODYNE.daos.raw, YOYODYNE.daos.ref, YOYODYNE.daos.std);
  const delegated = JSON.stringify({ delegatedAttributes: daosRoles });
  return dir(operatorOwned(), {
    yoyodyne: dir([...aces(['ADMIN', 'WRITE'], [YOYODYNE.admin]), ace('VIEW', yoyoEyes)], {
      daos1: dataset(aces(['READ', 'WRITE'], daosRoles), text('data-info', delegated)),
    }),
    hpe: dir([localAce('ADMIN', [HPE.admin]), ace('VIEW', hpeEyes)], {
      pig: dataset(),
      foo: dataset(),
      bu1: dir([ace('ADMIN', [HPE.bu1.admin]), ace('VIEW', anyOf(HPE.bu1.user, PANOPTICON))], {
        'hot-data': dataset(ace('WRITE', [HPE.bu1.aggregator]), ace('READ', [HPE.bu1.query])),
        'raw-data': dataset(ace('WRITE', [HPE.bu1.ingest]), ace('READ', [HPE.bu1.aggregator])),
        special: dataset(),
      }),
    }),
    dir: dir([], { bar: dataset() }),
  });
}

function roleTree() {
  const staffRole = () => [ace('ADMIN', [OPERATOR_ADMIN]), ace('VIEW', anyOf(OPERATOR_ADMIN, PANOPTICON)), localAce('WRITE', [OPERATOR_ADMIN])];
  const delegatedUnit = (admin: string) => aces(['ADMIN', 'APPLYROLE', 'USEROLE'], [admin]);
  return dir(operatorOwned(), {
    ...roles({ 'operator-admin': staffRole(), panopticon: staffRole() }),
    yoyodyne: dir([localAce('ADMIN', [YOYODYNE.admin]), ace('VIEW', yoyoEyes)], {
      ...roles({ 'yoyo-user': [], 'id-plugin': [], 'yoyo-admin': [ace('VIEW', anyOf(YOYODYNE.admin, PANOPTICON))] }),
      daos: dir([], roles({ raw: [], ref: [], std: [] })),
    }),
    hpe: dir([ace('VIEW', hpeEyes), localAce('ADMIN', [HPE.admin])], {
      ...roles({ 'hpe-user': [], 'hpe-workload': [], 'hpe-admin': [], 'id-plugin': [] }),
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

export function newSampleUniverse(): UniverseNodeJson {
  return buildUniverse(dir(operatorOwned(), { user: users(), workload: workloads(), data: data(), role: roleTree() }), 1000n);
}
