import { annotateContract, validateCredentialContract } from '@am/bus';
import { InvalidArgumentError, NotFoundError, PermissionDeniedError, UnauthenticatedError } from '@am/model';
import { connectBus, loadConfig, type BusConnection } from '@am/runtime';
import { freePort, sshKeygen, TestInfra, waitFor } from '@am/testing';
import { identitySettings, startIdentity } from '@apps/identity';
import { policySettings, startPolicy } from '@apps/policy';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { expiryOf, IdentityPlugin, PluginUnavailableError, pluginInboxPrefix, type PluginOptions } from './plugin';
import { fetchSshCredential, sshFingerprint, SshLoginError } from './ssh-login';

describe('identity plugins over NATS (real etcd, NATS, policy and identity)', () => {
  let infra: TestInfra;
  let identity: Awaited<ReturnType<typeof startIdentity>>;
  let admin: BusConnection;
  let privateKey: string;
  let natsOptions: PluginOptions['nats'];
  const plugins: IdentityPlugin[] = [];

  const sshLogin = () => ({ host: '127.0.0.1', port: identity.sshPort, principal: 'am://workload/yoyodyne/id-plugin', privateKey });

  beforeAll(async () => {
    infra = await TestInfra.start();
    infra.track(await startPolicy(loadConfig(policySettings, infra.env('policy', { AM_BOOT_UNIVERSE: 'new_sample' }))));
    identity = infra.track(await startIdentity(loadConfig(identitySettings, infra.env('identity'))));
    const gw = infra.env('gateway');
    admin = await connectBus({ AM_NATS_URL: [gw.AM_NATS_URL], AM_NATS_USER: gw.AM_NATS_USER, AM_NATS_PASSWORD: gw.AM_NATS_PASSWORD }, 'plugin-test-admin');
    const key = sshKeygen(infra.dir, 'ed25519', 'id-plugin');
    privateKey = readFileSync(key.file, 'utf8');
    await admin.bus.request(annotateContract, {
      credential: 'am://user/demo-god',
      path: 'am://workload/yoyodyne/id-plugin',
      annotation: { tag: 'ssh-pubkey', data: key.pub },
    });
    const env = infra.env('plugin');
    natsOptions = { servers: env.AM_NATS_URL, user: env.AM_NATS_USER, password: env.AM_NATS_PASSWORD };
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(plugins.map((p) => p.close()));
    await admin?.close();
    await infra?.stop();
  }, 30_000);

  const open = async (options: Partial<PluginOptions> = {}) => {
    const plugin = await IdentityPlugin.connect({ nats: natsOptions, identity: { ssh: sshLogin() }, ...options });
    plugins.push(plugin);
    return plugin;
  };

  it('logs in by ssh key, then vouches for a user it may vouch for', async () => {
    const plugin = await open();
    const own = await plugin.credential();
    expect((await admin.bus.request(validateCredentialContract, { credential: own })).claims?.id).toBe('am://workload/yoyodyne/id-plugin');
    const bob = await plugin.vouch('am://user/yoyodyne/bob');
    expect(bob.principal).toBe('am://user/yoyodyne/bob');
    const v = await admin.bus.request(validateCredentialContract, { credential: bob.credential, accept: 'login' });
    expect(v).toMatchObject({ valid: true, claims: { id: 'am://user/yoyodyne/bob', exp: bob.expiresAt } });
  });

  it('reports refusals as the Access Manager’s typed errors', async () => {
    const plugin = await open();
    await expect(plugin.vouch('am://user/hpe/bu1/alice')).rejects.toBeInstanceOf(NotFoundError);
    const bob = await plugin.vouch('am://user/yoyodyne/bob');
    const asBob = await open({ identity: { credential: bob.credential } });
    await expect(asBob.vouch('am://user/yoyodyne/alice')).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(open({ identity: { credential: 'not.a.credential' } }).then((p) => p.vouch('am://user/yoyodyne/bob'))).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('renews its own credential by ssh when it is about to expire', async () => {
    let now = Date.now();
    const plugin = await open({ clock: () => now, refreshMarginSec: 300 });
    const first = await plugin.credential();
    now = (expiryOf(first)! - 200) * 1000;
    const second = await plugin.credential();
    expect(second).not.toBe(first);
    await expect(plugin.vouch('am://user/yoyodyne/bob')).resolves.toMatchObject({ principal: 'am://user/yoyodyne/bob' });
  });

  it('renews its own credential by ssh, once, when identity refuses it (its signing key was removed)', async () => {
    const plugin = await open();
    const first = await plugin.credential();
    const kid = (JSON.parse(Buffer.from(first.split('.')[0], 'base64url').toString()) as { kid: string }).kid;
    const etcd = infra.etcdClient();
    try {
      const record = (await etcd.getAll().prefix('/').keys()).find((k) => k.endsWith(`/signing-keys/${kid}`));
      expect(record).toBeDefined();
      await etcd.delete().key(record!);
    } finally {
      etcd.close();
    }
    await waitFor('identity to forget the key', () => identity.signingKeys.get(Number(kid)) === undefined, 5000);
    const asFirst = await open({ identity: { credential: first } }); // the same credential, with no way to renew it
    await expect(asFirst.vouch('am://user/yoyodyne/bob')).rejects.toThrow(new UnauthenticatedError('key not found'));

    await expect(plugin.vouch('am://user/yoyodyne/bob')).resolves.toMatchObject({ principal: 'am://user/yoyodyne/bob' });
    expect(await plugin.credential()).not.toBe(first);
  });

  it('reports an ssh endpoint it cannot reach as unavailable, and a refused ssh login as an SshLoginError, from connect', async () => {
    // connect() logs in at once, so that is where it fails.
    const closed = await freePort();
    await expect(open({ identity: { ssh: { ...sshLogin(), port: closed } } })).rejects.toBeInstanceOf(PluginUnavailableError);
    const stranger = sshKeygen(infra.dir, 'ed25519', 'stranger');
    const err = await open({ identity: { ssh: { ...sshLogin(), privateKey: readFileSync(stranger.file, 'utf8') } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshLoginError);
    expect(err).not.toBeInstanceOf(PluginUnavailableError);
    expect((err as Error).message).toBe('ssh login as am://workload/yoyodyne/id-plugin refused (publickey)');
  });

  it('checks the endpoint’s host key when given a fingerprint', async () => {
    const hostPub = execFileSync('ssh-keygen', ['-y', '-f', join(infra.dir, 'ssh_host_ed25519')], { encoding: 'utf8' });
    const right = sshFingerprint(Buffer.from(hostPub.split(' ')[1], 'base64'));
    expect(right).toBe(execFileSync('ssh-keygen', ['-l', '-f', join(infra.dir, 'ssh_host_ed25519')], { encoding: 'utf8' }).split(' ')[1]);
    await expect(fetchSshCredential({ ...sshLogin(), hostKeyFingerprint: right })).resolves.toMatch(/^ey/);
    await expect(fetchSshCredential({ ...sshLogin(), hostKeyFingerprint: 'SHA256:AAAA' })).rejects.toBeInstanceOf(SshLoginError);
    await expect(fetchSshCredential({ ...sshLogin(), principal: 'am://user/yoyodyne/bob' })).rejects.toThrow(/refused \(publickey\)/);
  });

  describe('the plugin NATS user (real nats-server permissions)', () => {
    let observer: NatsConnection;
    let pluginConn: NatsConnection;
    const seen: string[] = [];
    const errors: string[] = [];

    beforeAll(async () => {
      // The policy user hears every am.> subject: what reaches it, a plugin managed to publish.
      observer = await infra.observe();
      for (const subject of ['am.>', '_INBOX.>']) observer.subscribe(subject, { callback: (_e, m) => seen.push(m.subject) });
      await observer.flush();
      pluginConn = await connect({ servers: natsOptions.servers, user: natsOptions.user, pass: natsOptions.password });
      void (async () => {
        for await (const s of pluginConn.status()) if (s.type === 'error') errors.push(String(s.data));
      })();
    });
    afterAll(async () => {
      await pluginConn?.close();
      await observer?.close();
    });

    const forbidden = [
      'am.policy.check',
      'am.policy.annotation.put',
      'am.policy.caller.resolve',
      'am.policy.vouch.authorize',
      'am.policy.vouch.authorize.batch',
      'am.policy.health',
      'am.pki.certificate.sign',
      'am.pki.health',
      'am.identity.credential.validate',
      'am.identity.dataset-credential',
      'am.identity.delegation.create',
      'am.identity.signing-keys',
      'am.identity.health',
      'am.events.identity.credential-issued',
      '_INBOX.someone-else',
    ];

    it('cannot publish to any policy, pki or identity-internal subject', async () => {
      // One at a time: the server answers each with a permissions violation (the status stream names only the code).
      for (const subject of forbidden) {
        const before = errors.length;
        pluginConn.publish(subject, '{}');
        await pluginConn.flush();
        await waitFor(`a permissions violation for ${subject}`, () => errors.length === before + 1 && errors[before] === 'PERMISSIONS_VIOLATION', 5000, 10);
      }
      pluginConn.publish('am.identity.vouch', '{}'); // the control: allowed, and seen
      await pluginConn.flush();
      await waitFor('the allowed publish to arrive', () => seen.includes('am.identity.vouch'), 5000);
      await observer.flush();
      expect(seen.filter((s) => forbidden.includes(s))).toEqual([]);
    });

    it("cannot listen to requests, events or other replies, another plugin's included", async () => {
      for (const subject of ['am.identity.vouch', 'am.>', 'am.events.>', '_INBOX.>', '_INBOX.plugin.>', '_INBOX.plugin.*.>', `${pluginInboxPrefix('plugin2')}.>`]) {
        const sub = pluginConn.subscribe(subject);
        const done = (async () => {
          for await (const _ of sub) void _;
        })();
        await expect(done).rejects.toThrow(/Permissions Violation/);
      }
    });

    it('refuses a NATS user name that is not one subject token (its inbox would sit inside another plugin\'s)', async () => {
    await expect(open({ nats: { ...natsOptions, user: 'plugin.sso' } })).rejects.toThrow(InvalidArgumentError);
    expect(() => pluginInboxPrefix('a b')).toThrow(InvalidArgumentError);
  });

  it('lets a second plugin, with its own NATS user, vouch on its own inbox', async () => {
      const env = infra.env('plugin2');
      const other = await open({ nats: { servers: env.AM_NATS_URL, user: env.AM_NATS_USER, password: env.AM_NATS_PASSWORD } });
      expect((await other.vouch('am://user/yoyodyne/bob')).principal).toBe('am://user/yoyodyne/bob');
      // Its replies went to _INBOX.plugin.plugin2, which the first plugin's user may not hear (above).
      await waitFor("the reply on plugin2's inbox", () => seen.some((s) => s.startsWith(`${pluginInboxPrefix('plugin2')}.`)), 5000, 10);
    });
  });
  it('rides out a NATS restart', async () => {
    const plugin = await open({ requestTimeoutMs: 1000 });
    await plugin.vouch('am://user/yoyodyne/bob');
    await infra.nats.stop();
    await expect(plugin.vouch('am://user/yoyodyne/bob')).rejects.toBeInstanceOf(PluginUnavailableError);
    await infra.nats.start();
    await waitFor(
      'vouching to work again',
      () => plugin.vouch('am://user/yoyodyne/bob').then(() => true, () => false),
      15_000,
      250,
    );
  }, 40_000);
});
