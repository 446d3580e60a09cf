import { issueCredential } from '@am/crypto';
import { startStack, type TestStack } from './stack';

/**
 * Issue 17 #5, as found: without any credential, a bare path's answer told whether the principal
 * exists (404), has an ssh key or identity plugins (401 with that reason), and directories were
 * accepted as callers. Now every refusal is the same 401, and the services refuse demo identities
 * unless configured to accept them.
 */
const whoami = async (gateway: string, credential: string) => {
  const res = await fetch(`${gateway}/v1/whoami`, { headers: { authorization: `Bearer ${credential}` } });
  return { status: res.status, body: await res.text() };
};

const REFUSED = [
  'am://user/nobody-here', // no such principal
  'am://user/yoyodyne/bob', // has identity plugins
  'am://user/hpe', // a directory of principals
  'am://workload/hpe', // a directory of workloads
];

describe('demonstration identities give no existence oracle (real stack)', () => {
  describe('with demo identities on', () => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await startStack();
      // the-operator gets an ssh key: then its bare path must be refused like the rest.
      const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMbTqJ1XH0bW5wZ4z0hFOZ4l2pYqz2N0T8tqV8C3m4Ab operator';
      const res = await fetch(`${stack.gatewayUrl}/v1/nodes/user/the-operator/annotations`, {
        method: 'POST',
        headers: { authorization: 'Bearer am://user/the-operator', 'content-type': 'application/json' },
        body: JSON.stringify({ tag: 'ssh-pubkey', data: key }),
      });
      expect(res.status).toBe(200);
    }, 60_000);
    afterAll(() => stack?.stop(), 30_000);

    it('answers a nonexistent principal, one with an ssh key, one with identity plugins and a directory with byte-identical 401s', async () => {
      const answers = await Promise.all([...REFUSED, 'am://user/the-operator'].map((c) => whoami(stack.gatewayUrl, c)));
      for (const a of answers) expect(a.status).toBe(401);
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
      expect(JSON.parse(answers[0].body)).toMatchObject({ status: 401, detail: 'invalid credential' });
    });

    it('still accepts a childless principal without keys (the demo)', async () => {
      expect((await whoami(stack.gatewayUrl, 'am://user/hpe/bu1/alice')).status).toBe(200);
    });

    it('a directory is no caller with a signed credential either: identity will not vouch for one, and a JWT for one is refused', async () => {
      // The yoyodyne plugin may vouch below am://user/yoyodyne, whose own VOUCHFOR ACE applies to the directory too.
      const vouch = await fetch(`${stack.gatewayUrl}/v1/credentials/vouch`, {
        method: 'POST',
        headers: { authorization: 'Bearer am://workload/yoyodyne/id-plugin', 'content-type': 'application/json' },
        body: JSON.stringify({ principal: 'am://user/yoyodyne' }),
      });
      expect([vouch.status, (await vouch.json()).detail]).toEqual([400, 'am://user/yoyodyne is a directory of principals: only a principal can be vouched for']);
      // Signed with identity's own key, as a credential for the directory would be.
      const key = await stack.identity.signingKeys.signingKeyFor(600);
      const nowSec = Math.floor(Date.now() / 1000);
      for (const dir of ['am://user/hpe', 'am://workload/hpe']) {
        const jwt = await issueCredential({ key, principal: dir, kind: 'login', lifetimeSec: 600, now: nowSec });
        const r = await whoami(stack.gatewayUrl, jwt);
        expect([dir, r.status, JSON.parse(r.body).detail]).toEqual([dir, 401, 'invalid credential']);
      }
      const member = await issueCredential({ key, principal: 'am://user/hpe/bu1/bob', kind: 'login', lifetimeSec: 600, now: nowSec });
      expect((await whoami(stack.gatewayUrl, member)).status).toBe(200);
    });
  });

  describe('with the services’ default', () => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await startStack({ demoIdentities: false });
    }, 60_000);
    afterAll(() => stack?.stop(), 30_000);

    it('refuses every bare principal path with the same 401', async () => {
      const answers = await Promise.all([...REFUSED, 'am://user/hpe/bu1/alice'].map((c) => whoami(stack.gatewayUrl, c)));
      for (const a of answers) expect(a.status).toBe(401);
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    });
  });
});
