/**
 * A deterministic large universe for the engine benchmark: 1,000 roles in 20 groups, 10,000 users
 * in org/dept/team directories, and a data tree up to depth 8 filling the rest of the node budget.
 * About 3 ACEs per directory, roles applied on orgs, teams and some users, a few agent ACEs and
 * time-windowed roles so that every code path of a decision is exercised.
 */
import { Annotation, Op, Operation, seededRandom, Universe, UniverseNode } from '@am/model';

/** Uniform floats in [0, 1) from the model's seeded 32-bit source. */
export function prng(seed: number): () => number {
  const next = seededRandom(seed);
  return () => next() / 4294967296;
}

export interface GeneratedUniverse {
  universe: Universe;
  principals: string[];
  roles: string[];
  dataDirectories: string[];
  orgDirectories: string[];
}

export function generateUniverse(totalNodes = 100_000, seed = 1): GeneratedUniverse {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  let unique = 1n;
  const header = () => ({ unique: unique++, version: 1, startMillis: 0, endMillis: 0 });
  const structural = (leaf: boolean): Annotation => ({ tag: leaf ? 'leaf' : 'dir', ...header(), data: '' });
  const applied = (role: string, endMillis = 0): Annotation => ({ tag: 'applied-role', ...header(), endMillis, role });
  const ace = (op: Operation, acls: string[][], local = false, agent = false): Annotation => ({ tag: 'ace', ...header(), op, local, agent, acls: acls.map((roles) => ({ roles })) });

  const nodes: UniverseNode[] = [];
  const add = (path: string, leaf: boolean, annotations: Annotation[] = []) => nodes.push({ path, annotations: [structural(leaf), ...annotations] });
  const roles: string[] = [];
  for (let g = 0; g < 20; g++) for (let r = 0; r < 50; r++) roles.push(`am://role/g${g}/r${r}`);
  const groupRole = (g: number) => `am://role/g${g}/r0`;
  const someRoles = (n: number) => Array.from({ length: n }, () => pick(roles));

  add('am://', false, [ace(Op.ADMIN, [['am://role/g0/r1']], true), ace(Op.WRITE, [['am://role/g0/r1']], true)]);
  add('am://role', false, [ace(Op.WRITE, [['am://role/g0/r1']], true)]);
  for (let g = 0; g < 20; g++) {
    add(`am://role/g${g}`, false, [ace(Op.VIEW, [[groupRole(g), 'am://role/g0/r2']]), ace(Op.APPLYROLE, [someRoles(2)]), ace(Op.USEROLE, [someRoles(2)])]);
    for (let r = 0; r < 50; r++) add(`am://role/g${g}/r${r}`, true);
  }

  const principals: string[] = [];
  const orgDirectories: string[] = [];
  add('am://user', false, [ace(Op.WRITE, [['am://role/g0/r1']], true)]);
  add('am://workload', false);
  for (let o = 0; o < 10; o++) {
    const org = `am://user/org${o}`;
    orgDirectories.push(org);
    add(org, false, [applied(groupRole(o)), ace(Op.VIEW, [[groupRole(o), 'am://role/g0/r2']]), ace(Op.ADMIN, [someRoles(2)], true), ace(Op.WRITE, [someRoles(3)])]);
    for (let d = 0; d < 10; d++) {
      const dept = `${org}/dept${d}`;
      const deptAces = [ace(Op.ADMIN, [someRoles(3)]), ace(Op.VOUCHFOR, [someRoles(2)])];
      if (random() < 0.05) deptAces.push(ace(Op.READ, [someRoles(4)], false, true));
      add(dept, false, deptAces);
      for (let t = 0; t < 10; t++) {
        const team = `${dept}/team${t}`;
        add(team, false, [applied(pick(roles)), applied(pick(roles), random() < 0.1 ? 4_102_444_800_000 : 0), ace(Op.WRITE, [someRoles(2)]), ace(Op.VIEW, [someRoles(3), [groupRole(o), 'am://role/g0/r2']])]);
        for (let u = 0; u < 10; u++) {
          const user = `${team}/u${u}`;
          principals.push(user);
          const userRoles = Array.from({ length: Math.floor(random() * 3) }, () => applied(pick(roles)));
          add(user, true, [{ tag: 'principal', ...header(), data: '' }, ...userRoles]);
        }
      }
    }
  }

  const dataDirectories: string[] = [];
  add('am://data', false, [ace(Op.WRITE, [['am://role/g0/r1']], true)]);
  // Breadth first, so every level is populated before the budget runs out; org = owning organisation.
  const queue: [path: string, depth: number, org: number][] = [];
  for (let o = 0; o < 10; o++) queue.push([`am://data/org${o}`, 2, o]);
  for (let head = 0; nodes.length < totalNodes && head < queue.length; head++) {
    const [path, depth, org] = queue[head];
    const leaf = depth === 8 || (depth > 4 && random() < 0.6);
    if (leaf) {
      add(path, true, random() < 0.3 ? [ace(Op.READ, [someRoles(3)])] : []);
      continue;
    }
    dataDirectories.push(path);
    add(path, false, [ace(Op.VIEW, [[groupRole(org), ...someRoles(2)]]), ace(Op.READ, [someRoles(3)]), ace(random() < 0.5 ? Op.WRITE : Op.ADMIN, [someRoles(2), someRoles(2)])]);
    const fanOut = 6 + Math.floor(random() * 7);
    for (let c = 0; c < fanOut; c++) queue.push([`${path}/n${c}`, depth + 1, org]);
  }
  return { universe: { nodes }, principals, roles, dataDirectories, orgDirectories };
}
