/**
 * Property tests on random universes: the optimised engine against the reference evaluator, and
 * the structural properties of the model. Run counts are capped to keep the suite fast.
 */
import fc from 'fast-check';
import { AccessEngine } from '@am/engine';
import { ALL_OPERATIONS, Annotation, Op, REDACTED_ROLE, Universe } from '@am/model';
import { NOW } from './helpers';
import { aceArb, annotationSpecArb, buildUniverse, principalsOf, ROLE_COUNT, roleName, TIMES, toAnnotation, universeSpecArb } from './random-universe';
import { ReferenceEvaluator } from './reference-evaluator';

const RUNS = { numRuns: 60 };

/** Every (agent, target, op, now) decision of the engine, as a comparable list. */
function allDecisions(engine: AccessEngine, universe: Universe, times: readonly number[] = TIMES): boolean[] {
  const out: boolean[] = [];
  for (const now of times)
    for (const agent of principalsOf(universe))
      for (const target of universe.nodes) for (const op of ALL_OPERATIONS) out.push(engine.isAllowed(agent, target.path, op, now));
  return out;
}

function withAnnotation(universe: Universe, path: string, annotation: Annotation): Universe {
  return { nodes: universe.nodes.map((n) => (n.path === path ? { path, annotations: [...n.annotations, annotation] } : n)) };
}

describe('engine agrees with the reference evaluator', () => {
  test('on every (agent, target, op, now), with the clock moving back and forth', () => {
    fc.assert(
      fc.property(universeSpecArb, fc.shuffledSubarray(TIMES, { minLength: TIMES.length }), (spec, times) => {
        const universe = buildUniverse(spec);
        const engine = AccessEngine.fromUniverse(universe);
        const reference = new ReferenceEvaluator(universe);
        for (const now of times)
          for (const agent of principalsOf(universe))
            for (const target of universe.nodes)
              for (const op of ALL_OPERATIONS) {
                const expected = reference.allowed(agent, target.path, op, now);
                if (engine.isAllowed(agent, target.path, op, now) !== expected) {
                  throw new Error(`${agent} ${op} ${target.path} at ${now}: reference says ${expected}`);
                }
              }
      }),
      RUNS,
    );
  });
});

describe('monotonicity of roles', () => {
  // Adding an applied role only grows effective role sets: the agent's (checked against target
  // ACEs) and every target's below it (checked against agent ACEs). ACL satisfaction is monotone
  // in the role set on both sides and the applicable ACEs do not change, so no decision of any
  // operation — VOUCHFOR included, whose default deny depends on ACEs, not roles — goes from
  // allow to deny.
  test('adding an applied role never turns an allow into a deny', () => {
    fc.assert(
      fc.property(universeSpecArb, fc.nat(), fc.nat({ max: ROLE_COUNT }), (spec, where, role) => {
        const before = buildUniverse(spec);
        const path = before.nodes[1 + (where % (before.nodes.length - 1))].path;
        const after = withAnnotation(before, path, toAnnotation({ kind: 'role', role, window: { startMillis: 0, endMillis: 0 } }));
        const was = allDecisions(AccessEngine.fromUniverse(before), before);
        const now = allDecisions(AccessEngine.fromUniverse(after), after);
        was.forEach((allowed, i) => {
          if (allowed && !now[i]) throw new Error(`decision ${i} turned into a deny after applying ${roleName(role)} at ${path}`);
        });
      }),
      RUNS,
    );
  });
});

describe('local ACEs', () => {
  test('a local ACE changes only decisions whose target (or, for an agent ACE, agent) is the node it is attached to', () => {
    fc.assert(
      fc.property(universeSpecArb, fc.nat(), aceArb, (spec, where, ace) => {
        const before = buildUniverse(spec);
        const path = before.nodes[where % before.nodes.length].path;
        const after = withAnnotation(before, path, toAnnotation({ kind: 'ace', ...ace, local: true }));
        const e1 = AccessEngine.fromUniverse(before);
        const e2 = AccessEngine.fromUniverse(after);
        for (const agent of principalsOf(before))
          for (const target of before.nodes) {
            const attachedTo = ace.agent ? agent : target.path;
            if (attachedTo === path) continue;
            for (const op of ALL_OPERATIONS) {
              if (e1.isAllowed(agent, target.path, op, NOW) !== e2.isAllowed(agent, target.path, op, NOW)) {
                throw new Error(`local ACE on ${path} changed ${agent} ${op} ${target.path}`);
              }
            }
          }
      }),
      RUNS,
    );
  });
});

describe('redaction', () => {
  test('details and explanations never contain a role name the viewer cannot see', () => {
    fc.assert(
      fc.property(universeSpecArb, fc.constantFrom(...TIMES), (spec, now) => {
        const universe = buildUniverse(spec);
        const engine = AccessEngine.fromUniverse(universe);
        const reference = new ReferenceEvaluator(universe);
        const roles = [...Array(ROLE_COUNT + 1).keys()].map(roleName);
        for (const viewer of principalsOf(universe)) {
          const hidden = roles.filter((r) => !reference.roleVisible(viewer, r, now));
          for (const node of universe.nodes) {
            const details = engine.details(viewer, node.path, { includeChildren: true }, now);
            const explanation = engine.explain(viewer, viewer, node.path, ALL_OPERATIONS, now);
            expect(details.ok).toBe(reference.allowed(viewer, node.path, Op.VIEW, now));
            const text = JSON.stringify([details.ok && details.value, explanation.ok && explanation.value]);
            for (const r of hidden) if (text.includes(`"${r}"`)) throw new Error(`${viewer} sees hidden ${r} in ${node.path}`);
            if (details.ok) {
              const shown = [...details.value.details.roles, ...details.value.details.inheritedRoles].map((a) => a.role);
              for (const r of shown) expect(r === REDACTED_ROLE || reference.roleVisible(viewer, r, now)).toBe(true);
            }
          }
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe('incremental updates', () => {
  const mutationArb = fc.oneof(
    fc.record({ kind: fc.constant('put' as const), node: fc.nat(), annotation: annotationSpecArb }),
    fc.record({ kind: fc.constant('delete-annotation' as const), node: fc.nat(), index: fc.nat() }),
    fc.record({ kind: fc.constant('create' as const), node: fc.nat(), leaf: fc.boolean() }),
    fc.record({ kind: fc.constant('delete-subtree' as const), node: fc.nat() }),
  );

  test('applying changes one by one answers like a fresh build (and like the reference)', () => {
    fc.assert(
      fc.property(universeSpecArb, fc.array(fc.tuple(mutationArb, fc.constantFrom(...TIMES)), { maxLength: 12 }), (spec, steps) => {
        const engine = AccessEngine.fromUniverse(buildUniverse(spec));
        let created = 0;
        for (const [m, now] of steps) {
          // Ask everything first, so that every node has cached state when the change lands.
          allDecisions(engine, engine.toUniverse(), [now]);
          const nodes = engine.toUniverse().nodes.filter((n) => n.path.split('/').length > 3); // below the roots
          const pick = (i: number) => nodes[i % nodes.length];
          if (nodes.length === 0) continue;
          else if (m.kind === 'put') engine.putAnnotation(pick(m.node).path, toAnnotation(m.annotation));
          else if (m.kind === 'delete-annotation') {
            const target = pick(m.node);
            const a = target.annotations.filter((x) => x.tag !== 'dir' && x.tag !== 'leaf')[m.index % Math.max(1, target.annotations.length)];
            if (a) engine.deleteAnnotation(target.path, a.tag, a.unique);
          } else if (m.kind === 'create') {
            const parent = nodes.filter((n) => n.annotations.some((a) => a.tag === 'dir'))[m.node % nodes.length];
            if (parent) engine.createNode(`${parent.path}/c${created++}`, [{ tag: m.leaf ? 'leaf' : 'dir', unique: 1n, version: 1, startMillis: 0, endMillis: 0, data: '' }]);
          } else engine.deleteNode(pick(m.node).path);
        }
        const universe = engine.toUniverse();
        const fresh = AccessEngine.fromUniverse(universe);
        const reference = new ReferenceEvaluator(universe);
        expect(allDecisions(engine, universe)).toEqual(allDecisions(fresh, universe));
        const expected: boolean[] = [];
        for (const now of TIMES)
          for (const agent of principalsOf(universe)) for (const target of universe.nodes) for (const op of ALL_OPERATIONS) expected.push(reference.allowed(agent, target.path, op, now));
        expect(allDecisions(engine, universe)).toEqual(expected);
      }),
      RUNS,
    );
  });
});
