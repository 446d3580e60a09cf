/**
 * fast-check arbitraries for small random universes: a few roles (plus one that does not exist),
 * directories and leaves under every root, ACEs of every kind and applied roles, some with time
 * windows around NOW. Nodes are given as (parent choice, kind, annotations) so that they shrink.
 */
import fc from 'fast-check';
import { Annotation, isPrincipalPath, Operation, Universe, UniverseNode } from '@am/model';
import { NOW } from './helpers';

export const ROLE_COUNT = 4;
export const roleName = (i: number) => (i < ROLE_COUNT ? `am://role/r${i}` : 'am://role/missing');
export const TIMES = [NOW - 2000, NOW, NOW + 1000, NOW + 3000];

const windowArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ startMillis: 0, endMillis: 0 }) },
  { weight: 1, arbitrary: fc.record({ startMillis: fc.constantFrom(0, NOW - 1000, NOW + 500, NOW + 2000), endMillis: fc.constantFrom(0, NOW - 500, NOW + 1500, NOW + 2500) }) },
);
const roleIndexArb = fc.nat({ max: ROLE_COUNT }); // ROLE_COUNT = the dangling role

export const aceArb = fc.record({
  op: fc.integer({ min: 1, max: 7 }) as fc.Arbitrary<Operation>,
  local: fc.boolean(),
  agent: fc.boolean(),
  acls: fc.array(fc.array(roleIndexArb, { maxLength: 3 }), { maxLength: 2 }),
  window: windowArb,
});
export const annotationSpecArb = fc.oneof(
  aceArb.map((a) => ({ kind: 'ace' as const, ...a })),
  fc.record({ kind: fc.constant('role' as const), role: roleIndexArb, window: windowArb }),
);
export type AnnotationSpec = typeof annotationSpecArb extends fc.Arbitrary<infer T> ? T : never;

const nodeSpecArb = fc.record({ parent: fc.nat(), leaf: fc.boolean(), annotations: fc.array(annotationSpecArb, { maxLength: 3 }) });
export const universeSpecArb = fc.record({
  rootAnnotations: fc.array(annotationSpecArb, { maxLength: 2 }),
  roleAnnotations: fc.array(fc.array(annotationSpecArb, { maxLength: 2 }), { minLength: ROLE_COUNT, maxLength: ROLE_COUNT }),
  nodes: fc.array(nodeSpecArb, { minLength: 3, maxLength: 14 }),
});
export type UniverseSpec = typeof universeSpecArb extends fc.Arbitrary<infer T> ? T : never;

let uniqueCounter = 1000n;
export function toAnnotation(spec: AnnotationSpec): Annotation {
  const header = { unique: ++uniqueCounter, version: 1, ...spec.window };
  if (spec.kind === 'role') return { tag: 'applied-role', ...header, role: roleName(spec.role) };
  return { tag: 'ace', ...header, op: spec.op, local: spec.local, agent: spec.agent, acls: spec.acls.map((acl) => ({ roles: acl.map(roleName) })) };
}

const structural = (leaf: boolean): Annotation => ({ tag: leaf ? 'leaf' : 'dir', unique: 1n, version: 1, startMillis: 0, endMillis: 0, data: '' });

export function buildUniverse(spec: UniverseSpec): Universe {
  const nodes: UniverseNode[] = [
    { path: 'am://', annotations: [structural(false), ...spec.rootAnnotations.map(toAnnotation)] },
    ...['user', 'workload', 'data', 'role'].map((r) => ({ path: `am://${r}`, annotations: [structural(false)] })),
    ...spec.roleAnnotations.map((anns, i) => ({ path: roleName(i), annotations: [structural(true), ...anns.map(toAnnotation)] })),
  ];
  const directories = ['am://user', 'am://workload', 'am://data', 'am://role', 'am://user'];
  spec.nodes.forEach((n, i) => {
    const parent = directories[n.parent % directories.length];
    const path = `${parent}/n${i}`;
    nodes.push({ path, annotations: [structural(n.leaf), ...n.annotations.map(toAnnotation)] });
    if (!n.leaf) directories.push(path);
  });
  return { nodes };
}

/** The nodes that can be callers: principal paths that are leaves or childless directories (TreeNode.canCall). */
export function principalsOf(universe: Universe): string[] {
  const paths = universe.nodes.map((n) => n.path);
  const parents = new Set(paths.map((p) => p.slice(0, p.lastIndexOf('/'))));
  return paths.filter((p) => isPrincipalPath(p) && !parents.has(p));
}
