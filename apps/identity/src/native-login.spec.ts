import { annotateContract, createNodeContract } from '@am/bus';
import { connectBus, loadConfig, type BusConnection } from '@am/runtime';
import { sshCredential, sshKeygen, TestInfra } from '@am/testing';
import { policySettings, startPolicy } from '@apps/policy';
import { identitySettings } from './config';
import { startIdentity } from './start';

/** access-model §8.6 strict mode (AM_SSH_REQUIRE_NATIVE_LOGIN), with the real policy, ssh endpoint and OpenSSH client. */
describe('ssh login in strict native-login mode', () => {
  const OPERATOR = 'am://user/the-operator';
  const NATIVE_LOGIN = 'am://role/native-login';
  let infra: TestInfra;
  let identity: Awaited<ReturnType<typeof startIdentity>>;
  let client: BusConnection;

  beforeAll(async () => {
    infra = await TestInfra.start();
    infra.track(await startPolicy(loadConfig(policySettings, infra.env('policy', { AM_BOOT_UNIVERSE: 'bootstrap', AM_SSH_REQUIRE_NATIVE_LOGIN: 'true' }))));
    identity = infra.track(await startIdentity(loadConfig(identitySettings, infra.env('identity'))));
    const env = infra.env('gateway');
    client = await connectBus({ AM_NATS_URL: [env.AM_NATS_URL], AM_NATS_USER: env.AM_NATS_USER, AM_NATS_PASSWORD: env.AM_NATS_PASSWORD }, 'native-login-test');
    await client.bus.request(createNodeContract, { credential: OPERATOR, path: NATIVE_LOGIN });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await infra?.stop();
  }, 30_000);

  /** A principal with an ssh key of its own (made by the operator); returns the key. */
  const principalWithKey = async (path: string) => {
    await client.bus.request(createNodeContract, { credential: OPERATOR, path });
    const key = sshKeygen(infra.dir, 'ed25519', path.split('/').pop()!);
    await client.bus.request(annotateContract, { credential: OPERATOR, path, annotation: { tag: 'ssh-pubkey', data: key.pub } });
    return key;
  };
  const allowNativeLogin = (path: string) =>
    client.bus.request(annotateContract, { credential: OPERATOR, path, annotation: { tag: 'ace', op: 'VOUCHFOR', acls: [{ roles: [NATIVE_LOGIN] }] } });

  it('refuses the right key until am://role/native-login may vouch for the principal, then issues a credential', async () => {
    const path = 'am://user/worker';
    const key = await principalWithKey(path);
    const refused = await sshCredential(identity.sshPort, path, key.file);
    expect(refused.status).toBe(255);
    expect(refused.stderr).toContain('Permission denied (publickey)');

    await allowNativeLogin(path);
    const allowed = await sshCredential(identity.sshPort, path, key.file);
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });

  it('still needs the principal\'s own key: native-login alone lets no other key in', async () => {
    const path = 'am://user/keyed';
    await principalWithKey(path);
    await allowNativeLogin(path);
    const stranger = sshKeygen(infra.dir, 'ed25519', 'stranger');
    expect((await sshCredential(identity.sshPort, path, stranger.file)).status).toBe(255);
  });
});
