import * as bus from '@am/bus';
import { encodeMessage } from '@am/bus';
import { loadConfig } from '@am/runtime';
import { TestInfra, waitFor } from '@am/testing';
import { policySettings, startPolicy } from '@apps/policy';
import { connect, type NatsConnection } from 'nats';
import { identitySettings } from './config';
import { startIdentity } from './start';

/** Every subject the services ask or announce on (libs/bus contracts), plain and batch. */
function internalSubjects(): string[] {
  const subjects = new Set<string>();
  for (const value of Object.values(bus)) {
    if (value && typeof value === 'object' && typeof (value as { subject?: unknown }).subject === 'string') {
      const c = value as { subject: string; batchSubject?: string };
      subjects.add(c.subject);
      if (c.batchSubject) subjects.add(c.batchSubject);
    }
  }
  for (const service of ['policy', 'identity', 'pki'] as const) subjects.add(bus.healthContract(service).subject);
  for (const events of [bus.METADATA_EVENTS_SUBJECT, bus.IDENTITY_EVENTS_SUBJECT, bus.PKI_EVENTS_SUBJECT]) {
    subjects.add(events);
    subjects.add(`${events}.created`);
  }
  return [...subjects].sort();
}

describe('reply-subject injection (real NATS with the services’ permissions; identity and policy in process)', () => {
  let infra: TestInfra;
  let identity: Awaited<ReturnType<typeof startIdentity>>;
  let plugin: NatsConnection;
  let observer: NatsConnection;
  const heard: string[] = [];
  const subjects = internalSubjects();

  beforeAll(async () => {
    infra = await TestInfra.start();
    infra.track(await startPolicy(loadConfig(policySettings, infra.env('policy', { AM_BOOT_UNIVERSE: 'new_sample' }))));
    identity = infra.track(await startIdentity(loadConfig(identitySettings, infra.env('identity'))));
    const env = infra.env('plugin');
    plugin = await connect({ servers: env.AM_NATS_URL, user: env.AM_NATS_USER, pass: env.AM_NATS_PASSWORD });
    observer = await infra.observe();
    observer.subscribe('am.>', { callback: (_err, msg) => heard.push(msg.subject) });
    await observer.flush();
  }, 60_000);

  afterAll(async () => {
    await plugin?.close();
    await observer?.close();
    await infra?.stop();
  }, 30_000);

  const droppedCount = async (): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${identity.metricsPort}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('am_bus_requests_dropped_total{') && l.includes('subject="am.identity.vouch"'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };

  it(`a plugin's vouch request naming any of the ${subjects.length} internal subjects as its reply is dropped, counted, and nothing arrives there`, async () => {
    expect(subjects).toEqual(expect.arrayContaining(['am.events.metadata', 'am.pki.cert.revoke', 'am.policy.node.delete', 'am.identity.vouch']));
    const before = await droppedCount();
    const request = encodeMessage({ pattern: 'am.identity.vouch', data: { credential: 'am://workload/yoyodyne/id-plugin', principal: 'am://user/yoyodyne/bob' }, id: 'x' });
    for (const reply of [...subjects, 'am.events.metadata.node-created', 'elsewhere']) plugin.publish('am.identity.vouch', request, { reply });
    await plugin.flush();
    await waitFor('identity to drop every request', async () => (await droppedCount()) - before >= subjects.length + 2, 10_000, 50);
    await observer.flush();
    expect(heard.filter((s) => s !== 'am.identity.vouch')).toEqual([]);
  });

  it('a service user may publish neither another service’s events nor requests it never makes', async () => {
    const env = infra.env('identity');
    const asIdentity = await connect({ servers: env.AM_NATS_URL, user: env.AM_NATS_USER, pass: env.AM_NATS_PASSWORD });
    try {
      heard.length = 0;
      for (const subject of ['am.events.metadata.node-created', 'am.events.pki.revoked', 'am.pki.cert.revoke', 'am.identity.vouch']) asIdentity.publish(subject, encodeMessage({}));
      // What identity may publish does arrive, so silence above is the permissions, not a lost message.
      asIdentity.publish('am.events.identity.test', encodeMessage({}));
      await asIdentity.flush().catch(() => undefined);
      await waitFor('the allowed event', () => Promise.resolve(heard.includes('am.events.identity.test')), 5_000, 20);
      expect(heard.filter((s) => s !== 'am.events.identity.test')).toEqual([]);
    } finally {
      await asIdentity.close().catch(() => undefined);
    }
  });
});
