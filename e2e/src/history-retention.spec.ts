/**
 * Issue 18 #3: history retention on the real stack. Events older than AM_HISTORY_RETENTION are
 * dropped up to the newest snapshot before the cut, which becomes the horizon; then every service
 * restarts, and the tree, checks and time travel after the horizon answer exactly as before, the
 * history starts at the horizon, and time travel before it is refused plainly.
 */
import { loadConfig } from '@am/runtime';
import { TestInfra } from '@am/testing';
import { gatewaySettings, startGateway } from '@apps/gateway';
import { identitySettings, startIdentity } from '@apps/identity';
import { pkiSettings, startPki } from '@apps/pki';
import { policySettings, startPolicy } from '@apps/policy';

const ALICE = 'am://user/hpe/bu1/alice';
const NODE = '/v1/nodes/user/hpe/bu1/invisible-man';

describe('REST: history past its retention is dropped at a snapshot, and a restart of every service still answers', () => {
  let infra: TestInfra;
  let services: { policy: Awaited<ReturnType<typeof startPolicy>>; others: { close(): Promise<void> }[]; url: string };

  async function start(boot: string) {
    const policy = infra.track(
      await startPolicy(loadConfig(policySettings, infra.env('policy', { AM_BOOT_UNIVERSE: boot, AM_SNAPSHOT_EVERY: '5', AM_HISTORY_RETENTION: '1ms', AM_HISTORY_INTERVAL: '1h' }))),
    );
    const identity = infra.track(await startIdentity(loadConfig(identitySettings, infra.env('identity'))));
    const pki = infra.track(await startPki(loadConfig(pkiSettings, infra.env('pki'))));
    const gateway = infra.track(await startGateway(loadConfig(gatewaySettings, infra.env('gateway'))));
    return { policy, others: [gateway, pki, identity], url: `http://127.0.0.1:${gateway.port}` };
  }
  const call = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${ALICE}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const res = await fetch(`${services.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as any };
  };
  const note = async (n: number) => (await call('POST', `${NODE}/annotations`, { tag: 'note', data: `note ${n}` })).json.revision as number;
  /** What the caller sees of the node (no revision stamps, which differ between answers). */
  const seen = async (query = '') => {
    const r = await call('GET', `${NODE}${query}`);
    expect(r.status).toBe(200);
    return JSON.stringify({ annotations: r.json.annotations, roles: r.json.roles, aces: r.json.aces });
  };
  const check = async (asOf?: number) => (await call('POST', '/v1/check', { target: 'am://user/hpe/bu1/invisible-man', ops: ['VIEW', 'READ'], ...(asOf ? { asOf } : {}) })).json.allowed;

  beforeAll(async () => {
    infra = await TestInfra.start();
    services = await start('new_sample');
  });
  afterAll(() => infra?.stop());

  it('compacts, restarts every service, and answers the same', async () => {
    const early: number[] = [];
    for (let n = 0; n < 6; n++) early.push(await note(n));
    const atBoundary = await seen();
    const earlyState = await seen(`?asOf=${early[2]}`);
    expect(earlyState).not.toBe(atBoundary);
    await new Promise((r) => setTimeout(r, 20)); // the snapshot's event is then older than the 1 ms retention
    const round = await services.policy.keeper.tick();
    expect(round.snapshot?.seq).toBe(early[5]);
    expect(round.dropped).toBeGreaterThanOrEqual(7); // the boot and the six notes, at least

    const late = [await note(6), await note(7)];
    const before = { now: await seen(), boundary: await seen(`?asOf=${early[5]}`), between: await seen(`?asOf=${late[0]}`), check: await check(), checkThen: await check(late[0]) };
    expect(before.boundary).toBe(atBoundary);
    const history = (await call('GET', '/v1/history?path=am://user/hpe/bu1/invisible-man')).json.events.map((e: { seq: number }) => e.seq);
    expect(history).toEqual(late);

    for (const s of [...services.others, services.policy]) await s.close();
    services = await start('none');
    expect(services.policy.projection.loadedFrom).toBe('snapshot');

    expect({ now: await seen(), boundary: await seen(`?asOf=${early[5]}`), between: await seen(`?asOf=${late[0]}`), check: await check(), checkThen: await check(late[0]) }).toEqual(before);
    expect((await call('GET', '/v1/history?path=am://user/hpe/bu1/invisible-man')).json.events.map((e: { seq: number }) => e.seq)).toEqual(late);
    const gone = await call('GET', `${NODE}?asOf=${early[2]}`);
    expect(gone.status).toBeGreaterThanOrEqual(400);
    expect(gone.status).toBeLessThan(500);
    expect(gone.json.detail).toMatch(/history before revision \d+ .* is no longer kept/);
    // Writes go on after the restart, and a new snapshot and drop follow the same rule.
    await note(8);
    expect((await call('GET', '/v1/history?path=am://user/hpe/bu1/invisible-man')).json.events).toHaveLength(3);
  }, 60_000);
});
