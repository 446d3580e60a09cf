/**
 * Issue 17 #4, as it was found: time travel answered with the caller's past rights. Bob holds
 * bu1-admin for a while; once it is removed, no question about the past may show him what only
 * bu1-admin lets him see — a past state is shown only to a caller that may see it now and then.
 */
import { annotateContract, checkContract, createNodeContract, deleteAnnotationContract, deleteNodeContract, detailsContract, historyContract, type BusClient } from '@am/bus';
import { REDACTED_ROLE } from '@am/model';
import { TestInfra } from '@am/testing';
import { ALICE, BOB, exportText, gatewayBus, GOD, startPolicyIn } from './support';

const INVISIBLE = 'am://user/hpe/bu1/invisible-man';
const BU1_ADMIN = 'am://role/hpe/bu1/bu1-admin';
/** History entries other than the boot (which every history of a path lists). */
const changes = <E extends { kind: string }>(events: E[]) => events.filter((e) => e.kind !== 'boot');

describe('time travel answers with the rights the caller has now and had then', () => {
  let infra: TestInfra;
  let bus: BusClient;
  /** Revisions: a note before bob's grant, the grant, a note while he held it, the removal. */
  const at = { before: 0, granted: 0, held: 0, removed: 0 };
  let grant = '';

  beforeAll(async () => {
    infra = await TestInfra.start();
    await startPolicyIn(infra, { AM_BOOT_UNIVERSE: 'new_sample' });
    bus = (await gatewayBus(infra)).bus;
    at.before = (await bus.request(annotateContract, { credential: ALICE, path: INVISIBLE, annotation: { tag: 'note', data: 'before bob' } })).revision;
    const granted = await bus.request(annotateContract, { credential: ALICE, path: BOB, annotation: { tag: 'applied-role', role: BU1_ADMIN } });
    [at.granted, grant] = [granted.revision, granted.annotation.unique];
    at.held = (await bus.request(annotateContract, { credential: ALICE, path: INVISIBLE, annotation: { tag: 'note', data: 'while bob held bu1-admin' } })).revision;
  });
  afterAll(() => infra.stop());

  it('while bob holds the role, history shows him only the entries he could see when they were made', async () => {
    const h = await bus.request(historyContract, { credential: BOB, path: INVISIBLE, atLeast: at.held });
    expect(changes(h.events).map((e) => e.seq)).toEqual([at.held]);
    expect(JSON.stringify(h.events)).not.toContain('before bob');
    // Alice could see it all along.
    const asAlice = await bus.request(historyContract, { credential: ALICE, path: INVISIBLE });
    expect(asAlice.events.map((e) => e.seq)).toEqual(expect.arrayContaining([at.before, at.held]));
  });

  describe('after the role is removed', () => {
    beforeAll(async () => {
      at.removed = (await bus.request(deleteAnnotationContract, { credential: ALICE, path: BOB, tag: 'applied-role', unique: grant })).revision;
      await expect(bus.request(detailsContract, { credential: BOB, path: INVISIBLE, atLeast: at.removed })).rejects.toMatchObject({ code: 'not-found' });
    });

    it('details as of a revision when he held it: not found, as today', async () => {
      await expect(bus.request(detailsContract, { credential: BOB, path: INVISIBLE, asOf: { revision: at.held } })).rejects.toMatchObject({
        code: 'not-found',
        message: `object not found for ${INVISIBLE}`,
      });
      const listing = await bus.request(detailsContract, { credential: BOB, path: 'am://user/hpe/bu1', includeChildren: true, asOf: { revision: at.held } });
      expect(listing.children).not.toContain(INVISIBLE);
    });

    it('check as of then: not found, for himself and about another agent', async () => {
      for (const ops of [['VIEW'], ['ADMIN']]) {
        await expect(bus.request(checkContract, { credential: BOB, target: INVISIBLE, ops, asOf: { revision: at.held } })).rejects.toMatchObject({ code: 'not-found', message: `${INVISIBLE} not found` });
      }
      await expect(bus.request(checkContract, { credential: BOB, target: INVISIBLE, ops: ['VIEW'], agent: ALICE, explain: true, asOf: { revision: at.held } })).rejects.toMatchObject({
        code: 'not-found',
      });
      await expect(bus.request(checkContract, { credential: BOB, target: ALICE, ops: ['VIEW'], agent: INVISIBLE, asOf: { revision: at.held } })).rejects.toMatchObject({
        code: 'not-found',
        message: `${INVISIBLE} not found`,
      });
    });

    it('his own past node shows the role he held redacted: he may no longer see bu1-admin', async () => {
      const then = await bus.request(detailsContract, { credential: BOB, path: BOB, asOf: { revision: at.held } });
      expect(then.details.roles.map((r) => r.role)).toEqual([REDACTED_ROLE]);
      expect(JSON.stringify(then.details)).not.toContain(BU1_ADMIN);
      // The decision of then is his own to know, about what he may see now.
      expect((await bus.request(checkContract, { credential: BOB, target: ALICE, ops: ['ADMIN'], asOf: { revision: at.held } })).allowed).toBe(true);
      expect((await bus.request(checkContract, { credential: BOB, target: ALICE, ops: ['ADMIN'] })).allowed).toBe(false);
    });

    it('history hides the entries on the node, and redacts the role in the entries he may see', async () => {
      const bu1 = await bus.request(historyContract, { credential: BOB, path: 'am://user/hpe/bu1', subtree: true, since: at.before - 1 });
      expect(bu1.events.map((e) => e.path)).not.toContain(INVISIBLE);
      const own = bu1.events.filter((e) => e.path === BOB);
      expect(own.map((e) => e.seq)).toEqual([at.granted, at.removed]);
      expect(JSON.stringify(own)).not.toContain(BU1_ADMIN);
      expect(own[0].after?.role).toBe(REDACTED_ROLE);
    });

    it('an export as of then leaves the node out', async () => {
      const { text } = await exportText(bus, { credential: BOB, path: 'am://user/hpe/bu1', asOf: { revision: at.held } });
      expect(text).not.toContain('invisible-man');
      expect(text).toContain(ALICE);
      expect(text).not.toContain(BU1_ADMIN);
    });

    it('a caller that may see it now and then still gets the past state', async () => {
      const then = await bus.request(detailsContract, { credential: ALICE, path: INVISIBLE, asOf: { revision: at.held } });
      expect(then.details.annotations.map((a) => a.data)).toEqual(expect.arrayContaining(['before bob', 'while bob held bu1-admin']));
      expect((await bus.request(checkContract, { credential: ALICE, target: INVISIBLE, ops: ['VIEW'], asOf: { revision: at.held } })).allowed).toBe(true);
      const earlier = await bus.request(detailsContract, { credential: ALICE, path: BOB, asOf: { revision: at.held } });
      expect(earlier.details.roles.map((r) => r.role)).toEqual([BU1_ADMIN]);
    });
  });

  it('a node gone since is judged by its last state: hidden, then deleted, stays hidden', async () => {
    const hidden = 'am://data/hpe/bu1/fleeting-hidden';
    const open = 'am://data/hpe/bu1/fleeting-open';
    await bus.request(createNodeContract, { credential: GOD, path: hidden });
    const seen = await bus.request(createNodeContract, { credential: GOD, path: open });
    // Bob could see both then.
    await bus.request(detailsContract, { credential: BOB, path: hidden, atLeast: seen.revision });
    await bus.request(annotateContract, { credential: ALICE, path: hidden, annotation: { tag: 'ace', op: 'VIEW', acls: [{ roles: [BU1_ADMIN] }] } as never, force: true });
    await bus.request(deleteNodeContract, { credential: ALICE, path: hidden });
    const gone = await bus.request(deleteNodeContract, { credential: ALICE, path: open });
    await expect(bus.request(detailsContract, { credential: BOB, path: hidden, asOf: { revision: seen.revision }, atLeast: gone.revision })).rejects.toMatchObject({ code: 'not-found' });
    expect((await bus.request(detailsContract, { credential: BOB, path: open, asOf: { revision: seen.revision } })).details.path).toBe(open);
    expect((await bus.request(detailsContract, { credential: ALICE, path: hidden, asOf: { revision: seen.revision } })).details.path).toBe(hidden);
    const listing = await bus.request(detailsContract, { credential: BOB, path: 'am://data/hpe/bu1', includeChildren: true, asOf: { revision: seen.revision } });
    expect(listing.children).toContain(open);
    expect(listing.children).not.toContain(hidden);
  });

  it('asOf before the caller existed: invalid-argument naming it, not unauthenticated', async () => {
    const newbie = 'am://user/hpe/bu1/newbie';
    const created = await bus.request(createNodeContract, { credential: ALICE, path: newbie });
    const asked = { credential: newbie, atLeast: created.revision };
    const refusal = { code: 'invalid-argument', message: `asOf: ${newbie} did not exist at revision ${created.revision - 1}` };
    await expect(bus.request(detailsContract, { ...asked, path: 'am://user/hpe/bu1', asOf: { revision: created.revision - 1 } })).rejects.toMatchObject(refusal);
    await expect(bus.request(checkContract, { ...asked, target: 'am://user/hpe/bu1', ops: ['VIEW'], asOf: { revision: created.revision - 1 } })).rejects.toMatchObject(refusal);
    await expect(exportText(bus, { ...asked, path: 'am://user/hpe/bu1', asOf: { revision: created.revision - 1 } })).rejects.toMatchObject(refusal);
    const time = new Date(0).toISOString();
    await expect(bus.request(detailsContract, { ...asked, path: 'am://user/hpe/bu1', asOf: { time } })).rejects.toMatchObject({ code: 'invalid-argument', message: `asOf: ${newbie} did not exist at ${time}` });
    // From its creation on, the past is there for it.
    expect((await bus.request(detailsContract, { ...asked, path: newbie, asOf: { revision: created.revision } })).details.path).toBe(newbie);
    // History simply starts for it where it did.
    const h = await bus.request(historyContract, { credential: newbie, path: newbie });
    expect(changes(h.events).map((e) => e.seq)).toEqual([created.revision]);
    expect(changes(h.events)[0].actor).toBe(ALICE);
  });
});
