import {
  annotateContract,
  authorizeVouchContract,
  CredentialIssuedRecord,
  createDelegationContract,
  datasetCredentialContract,
  extendDelegationContract,
  jwksContract,
  resolveCallerContract,
  signingKeysContract,
  validateCredentialContract,
  vouchContract,
} from '@am/bus';
import { keyId } from '@am/crypto';
import { NotFoundError, PermissionDeniedError, UnauthenticatedError } from '@am/model';
import { connectBus, loadConfig, type BusConnection } from '@am/runtime';
import { HOSTILE_CREDENTIAL_CASES, hostileCredentials, sshCredential, sshKeygen, TestInfra, waitFor } from '@am/testing';
import { policySettings, startPolicy } from '@apps/policy';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, StringCodec } from 'nats';
import { identitySettings } from './config';
import { startIdentity } from './start';

describe('identity service (real etcd, NATS, OpenSSH; policy in process)', () => {
  let infra: TestInfra;
  let identity: Awaited<ReturnType<typeof startIdentity>>;
  let client: BusConnection;
  let keyDir: string;
  let operatorKey: { file: string; pub: string };
  let pluginKey: { file: string; pub: string };
  let strangerKey: { file: string; pub: string };
  const identityConfig = () => loadConfig(identitySettings, infra.env('identity'));

  beforeAll(async () => {
    // '/elsewhere/': a second identity on another prefix (below).
    infra = await TestInfra.start({ etcdPrefixes: ['/am/', '/elsewhere/'] });
    infra.track(await startPolicy(loadConfig(policySettings, infra.env('policy', { AM_BOOT_UNIVERSE: 'new_sample' }))));
    identity = await startIdentity(identityConfig());
    const env = infra.env('gateway');
    client = await connectBus({ AM_NATS_URL: [env.AM_NATS_URL], AM_NATS_USER: env.AM_NATS_USER, AM_NATS_PASSWORD: env.AM_NATS_PASSWORD }, 'identity-test');
    keyDir = infra.dir;
    operatorKey = sshKeygen(keyDir, 'ed25519', 'operator');
    pluginKey = sshKeygen(keyDir, 'rsa', 'plugin');
    strangerKey = sshKeygen(keyDir, 'ed25519', 'stranger');
    // compat-rest §6.13 step 3: the operator secures itself; the plugin's key is added by demo-god (panopticon).
    await client.bus.request(annotateContract, { credential: 'am://user/the-operator', path: 'am://user/the-operator', annotation: { tag: 'ssh-pubkey', data: operatorKey.pub } });
    await client.bus.request(annotateContract, { credential: 'am://user/demo-god', path: 'am://workload/yoyodyne/id-plugin', annotation: { tag: 'ssh-pubkey', data: `no-pty ${pluginKey.pub}` } });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await identity?.close();
    await infra?.stop();
  }, 30_000);

  const validate = (credential: string, accept: 'login' | 'delegation' | 'any' = 'any') => client.bus.request(validateCredentialContract, { credential, accept });

  describe('ssh credential endpoint', () => {
    it('issues a one-hour login credential to the real OpenSSH client (ed25519), which policy then accepts', async () => {
      const r = await sshCredential(identity.sshPort, 'am://user/the-operator', operatorKey.file);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      const v = await validate(r.stdout);
      expect(v).toMatchObject({ valid: true, message: 'credential is valid', kind: 'login', claims: { id: 'am://user/the-operator', roles: null, iss: 'access-manager' } });
      expect(v.claims!.exp - v.claims!.iat).toBe(3600);
      // The plain path no longer works (§6.13 step 3), the credential does (step 4).
      await expect(client.bus.request(resolveCallerContract, { credential: 'am://user/the-operator' })).rejects.toThrow('invalid credential');
      await expect(client.bus.request(resolveCallerContract, { credential: r.stdout })).resolves.toMatchObject({ principal: 'am://user/the-operator', via: 'credential' });
    });

    it('accepts an rsa key given with authorized_keys options', async () => {
      const r = await sshCredential(identity.sshPort, 'am://workload/yoyodyne/id-plugin', pluginKey.file);
      expect(r.status).toBe(0);
      expect((await validate(r.stdout)).claims?.id).toBe('am://workload/yoyodyne/id-plugin');
    });

    it.each([
      ['a key that is not the principal’s', 'am://user/the-operator', 'stranger'],
      ['an unknown principal', 'am://user/nobody', 'operator'],
      ['a principal without any key (no key, no login)', 'am://user/hpe/bu1/alice', 'operator'],
      ['a login name that is not a principal path', 'root', 'operator'],
    ])('refuses %s', async (_what, principal, key) => {
      const r = await sshCredential(identity.sshPort, principal, key === 'stranger' ? strangerKey.file : operatorKey.file);
      expect(r.status).toBe(255);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('Permission denied (publickey)');
    });

    it('refuses even the right key once a source address has failed too often', async () => {
      const strict = await startIdentity(loadConfig(identitySettings, infra.env('identity', { AM_SSH_MAX_FAILURES: '2', AM_SSH_FAILURE_WINDOW: '1h' })));
      try {
        expect((await sshCredential(strict.sshPort, 'am://user/the-operator', strangerKey.file)).status).toBe(255);
        expect((await sshCredential(strict.sshPort, 'am://user/the-operator', strangerKey.file)).status).toBe(255);
        const r = await sshCredential(strict.sshPort, 'am://user/the-operator', operatorKey.file);
        expect(r.status).toBe(255);
        expect(r.stderr).toContain('Permission denied (publickey)');
      } finally {
        await strict.close();
      }
    });
  });

  describe('vouch, validation and delegation over NATS', () => {
    let pluginCredential: string;
    let bobCredential: string;
    beforeAll(async () => {
      pluginCredential = (await sshCredential(identity.sshPort, 'am://workload/yoyodyne/id-plugin', pluginKey.file)).stdout;
      bobCredential = (await client.bus.request(vouchContract, { credential: pluginCredential, principal: 'am://user/yoyodyne/bob' })).credential;
    });

    it('vouches: the plugin gets a 30-minute login credential for bob, recorded without the token', async () => {
      const events: string[] = [];
      const nc = await connect({ servers: infra.nats.url, user: 'gateway', pass: infra.env('gateway').AM_NATS_PASSWORD });
      const sub = nc.subscribe('am.events.identity.>', { callback: (_e, m) => events.push(`${m.subject} ${StringCodec().decode(m.data)}`) });
      await nc.flush();
      const issued = await client.bus.request(vouchContract, { credential: pluginCredential, principal: 'am://user/yoyodyne/bob' });
      expect(issued.principal).toBe('am://user/yoyodyne/bob');
      const v = await validate(issued.credential, 'login');
      expect(v.claims).toMatchObject({ id: 'am://user/yoyodyne/bob', typ: 'login' });
      expect(v.claims!.exp - v.claims!.iat).toBe(1800);
      expect(issued.expiresAt).toBe(v.claims!.exp);

      // The audit record follows the answer within a few milliseconds.
      const etcd = infra.etcdClient();
      let stored: string[] = [];
      await waitFor('the credential-issued record in etcd', async () => {
        stored = Object.values(await etcd.getAll().prefix('/am/identity/events/').strings());
        return stored.some((s) => s.includes(v.claims!.jti!));
      }, 5000, 10);
      etcd.close();
      expect(stored.join('\n')).not.toContain(issued.credential.split('.')[2]);
      // Once committed, the record is announced: its events, in the services' NATS framing { pattern, data }.
      await waitFor('the credential-issued announcement', () => events.some((e) => e.includes(v.claims!.jti!)), 5000);
      const [subject, body] = events.find((e) => e.includes(v.claims!.jti!))!.split(' ');
      expect(subject).toBe('am.events.identity.credential-issued');
      const announced = CredentialIssuedRecord.parse((JSON.parse(body) as { data: unknown }).data);
      expect(announced.find((e) => e.jti === v.claims!.jti)).toMatchObject({ kind: 'credential-issued', via: 'vouch', actor: 'am://workload/yoyodyne/id-plugin', principal: 'am://user/yoyodyne/bob' });
      expect(body).not.toContain(issued.credential.split('.')[2]);
      sub.unsubscribe();
      await nc.close();
    });

    it('refuses to vouch without VOUCHFOR, for invisible principals, and for a demo caller with no rights', async () => {
      // bob cannot vouch for alice; the plugin cannot see hpe users; the operator cannot see yoyodyne.
      await expect(client.bus.request(vouchContract, { credential: bobCredential, principal: 'am://user/yoyodyne/alice' })).rejects.toBeInstanceOf(PermissionDeniedError);
      await expect(client.bus.request(vouchContract, { credential: pluginCredential, principal: 'am://user/hpe/bu1/alice' })).rejects.toBeInstanceOf(NotFoundError);
      await expect(client.bus.request(vouchContract, { credential: 'am://user/hpe/bu1/alice', principal: 'am://user/yoyodyne/bob' })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('decides vouches that arrive together one by one, in batched requests to policy', async () => {
      const batches: string[] = [];
      const nc = await connect({ servers: infra.nats.url, user: 'policy', pass: infra.env('policy').AM_NATS_PASSWORD });
      nc.subscribe(authorizeVouchContract.batchSubject, { callback: (_e, m) => batches.push(m.subject) });
      await nc.flush();
      const cases = [
        { credential: pluginCredential, principal: 'am://user/yoyodyne/bob', expect: 'am://user/yoyodyne/bob' },
        { credential: bobCredential, principal: 'am://user/yoyodyne/alice', expect: PermissionDeniedError },
        { credential: pluginCredential, principal: 'am://user/hpe/bu1/alice', expect: NotFoundError },
      ];
      // Sent in one go, they reach identity together (in one read, almost always: hence ten rounds).
      const all = Array.from({ length: 10 }, () => cases).flat();
      const outcomes = await Promise.allSettled(all.map((c) => client.bus.request(vouchContract, { credential: c.credential, principal: c.principal })));
      outcomes.forEach((o, i) => {
        const { expect: expected } = all[i];
        if (typeof expected === 'string') expect(o).toMatchObject({ status: 'fulfilled', value: { principal: expected } });
        else expect((o as PromiseRejectedResult).reason).toBeInstanceOf(expected);
      });
      await waitFor('a batch seen on its way to policy', () => batches.length > 0, 5000, 10);
      await nc.close();
    });

    it('publishes the signing keys as the compat map and as JWKS', async () => {
      const kid = JSON.parse(Buffer.from(bobCredential.split('.')[0], 'base64url').toString()).kid as string;
      const { keys } = await client.bus.request(signingKeysContract, {});
      expect(keys[kid]).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      const jwks = await client.bus.request(jwksContract, {});
      expect(jwks.keys).toContainEqual(expect.objectContaining({ kid, kty: 'EC', crv: 'P-256', alg: 'ES256' }));
    });

    it('issues delegation credentials for a delegating dataset (§10.3), narrows them by filter, and extends only narrower', async () => {
      const ds = await client.bus.request(datasetCredentialContract, { credential: bobCredential, dataset: 'am://data/yoyodyne/daos1' });
      const v = await validate(ds.credential);
      expect(v).toMatchObject({ valid: true, kind: 'delegation', claims: { id: 'am://user/yoyodyne/bob' } });
      expect([...v.claims!.roles!].sort()).toEqual(['am://role/yoyodyne/daos/raw', 'am://role/yoyodyne/daos/ref']);
      expect(ds.url).toBe('');
      expect(ds.info).toContain('am://role/yoyodyne/daos/raw');
      expect(v.info).toContain('"roles": [');

      const narrowed = await client.bus.request(createDelegationContract, { credential: bobCredential, dataset: 'am://data/yoyodyne/daos1', attributes: ['am://role/yoyodyne/daos/ra*'] });
      expect(narrowed.roles).toEqual(['am://role/yoyodyne/daos/raw']);
      const extended = await client.bus.request(extendDelegationContract, { credential: bobCredential, delegation: narrowed.credential, dataset: 'am://data/yoyodyne/daos1' });
      expect(extended.roles).toEqual(['am://role/yoyodyne/daos/raw']);
      // Someone else's delegation cannot be extended; a login credential is not a delegation.
      await expect(
        client.bus.request(extendDelegationContract, { credential: pluginCredential, delegation: narrowed.credential, dataset: 'am://data/yoyodyne/daos1' }),
      ).rejects.toThrow();
      await expect(client.bus.request(extendDelegationContract, { credential: bobCredential, delegation: bobCredential, dataset: 'am://data/yoyodyne/daos1' })).rejects.toBeInstanceOf(
        UnauthenticatedError,
      );
      // A dataset that delegates nothing.
      await expect(client.bus.request(createDelegationContract, { credential: 'am://user/demo-god', dataset: 'am://data/hpe' })).rejects.toThrow();
    });

    it('carries target and heritable ACEs: the target decides who may present it, the heritable ACE survives every extension', async () => {
      const daos1 = 'am://data/yoyodyne/daos1';
      const acl = (...roles: string[]) => ({ roles });
      const created = await client.bus.request(createDelegationContract, {
        credential: bobCredential,
        dataset: daos1,
        targetAce: { acls: [acl('am://role/yoyodyne/id-plugin', 'am://role/yoyodyne/daos/std')] },
        heritableAce: { acls: [acl('am://role/yoyodyne/id-plugin/')] },
      });
      // The heritable ACE binds this credential too (paths normalised, duplicates once).
      expect(created.heritableAce).toEqual({ acls: [acl('am://role/yoyodyne/id-plugin')] });
      expect(created.targetAce).toEqual({ acls: [acl('am://role/yoyodyne/id-plugin', 'am://role/yoyodyne/daos/std'), acl('am://role/yoyodyne/id-plugin')] });
      const shown = await validate(created.credential, 'delegation');
      expect(shown.claims).toMatchObject({ dataset: daos1, target_ace: created.targetAce, heritable_ace: created.heritableAce });

      // The consumer asks "is this meant for me?": the plugin workload holds id-plugin, bob does not.
      const asPlugin = await client.bus.request(validateCredentialContract, { credential: created.credential, presenter: pluginCredential });
      expect(asPlugin).toMatchObject({ valid: true, target: { principal: 'am://workload/yoyodyne/id-plugin', satisfied: true } });
      const asBob = await client.bus.request(validateCredentialContract, { credential: created.credential, presenter: bobCredential });
      expect(asBob).toMatchObject({ valid: false, target: { principal: 'am://user/yoyodyne/bob', satisfied: false } });
      expect(asBob.message).toMatch(/does not satisfy the target ACE/);
      // A login credential has no target; a forged presenter is refused outright.
      expect(await client.bus.request(validateCredentialContract, { credential: bobCredential, presenter: pluginCredential })).toMatchObject({ valid: false });
      await expect(client.bus.request(validateCredentialContract, { credential: created.credential, presenter: `${pluginCredential.slice(0, -4)}AAAA` })).rejects.toBeInstanceOf(
        UnauthenticatedError,
      );

      // Re-targeted on extension: the new target replaces the old one, the heritable ACE stays in it.
      const retargeted = await client.bus.request(extendDelegationContract, {
        credential: bobCredential,
        delegation: created.credential,
        dataset: daos1,
        targetAce: { acls: [acl('am://role/yoyodyne/daos/raw')] },
      });
      expect(retargeted.targetAce).toEqual({ acls: [acl('am://role/yoyodyne/daos/raw'), acl('am://role/yoyodyne/id-plugin')] });
      expect(retargeted.heritableAce).toEqual(created.heritableAce);
      // Without a new target the old one is kept; a further heritable ACL accumulates.
      const kept = await client.bus.request(extendDelegationContract, {
        credential: bobCredential,
        delegation: retargeted.credential,
        dataset: daos1,
        heritableAce: { acls: [acl('am://role/yoyodyne/yoyo-user')] },
      });
      expect(kept.heritableAce.acls).toEqual([acl('am://role/yoyodyne/id-plugin'), acl('am://role/yoyodyne/yoyo-user')]);
      expect(kept.targetAce.acls).toEqual([acl('am://role/yoyodyne/daos/raw'), acl('am://role/yoyodyne/id-plugin'), acl('am://role/yoyodyne/yoyo-user')]);

      // Roles in the ACEs need View + USEROLE; an empty ACL, a non-role path, another dataset are refused.
      const refused = (request: Partial<Parameters<typeof client.bus.request<typeof createDelegationContract>>[1]>) =>
        client.bus.request(createDelegationContract, { credential: bobCredential, dataset: daos1, ...request });
      await expect(refused({ targetAce: { acls: [acl('am://role/yoyodyne/yoyo-admin')] } })).rejects.toBeInstanceOf(NotFoundError);
      await expect(refused({ targetAce: { acls: [acl()] } })).rejects.toThrow(/without roles/);
      await expect(refused({ heritableAce: { acls: [acl('am://user/yoyodyne/bob')] } })).rejects.toThrow(/not a role/);
      await expect(
        client.bus.request(extendDelegationContract, { credential: bobCredential, delegation: kept.credential, dataset: 'am://data/yoyodyne' }),
      ).rejects.toThrow(/issued for am:\/\/data\/yoyodyne\/daos1/);
      const alice = await client.bus.request(vouchContract, { credential: pluginCredential, principal: 'am://user/yoyodyne/alice' });
      await client.bus.request(annotateContract, {
        credential: alice.credential,
        path: 'am://role/yoyodyne/daos/std',
        annotation: { tag: 'ace', op: 'USEROLE', acls: [{ roles: ['am://role/yoyodyne/yoyo-admin'] }] },
      });
      await expect(refused({ targetAce: { acls: [acl('am://role/yoyodyne/daos/std')] } })).rejects.toThrow(
        expect.objectContaining({ constructor: PermissionDeniedError, message: expect.stringContaining('using role am://role/yoyodyne/daos/std') }),
      );
    });

    describe('hostile credentials are refused at validate and at vouch', () => {
      let forged: Awaited<ReturnType<typeof hostileCredentials>>;
      beforeAll(async () => {
        forged = await hostileCredentials(await identity.signingKeys.signingKeyFor(1800), 'am://workload/yoyodyne/id-plugin');
      });

      it.each(HOSTILE_CREDENTIAL_CASES)('%s', async (what) => {
        const { token, reason } = forged.hostile[what];
        const v = await validate(token, 'login');
        expect(v.valid).toBe(false);
        expect(v.info).toBe('');
        expect(v.message).toMatch(reason);
        const vouch = client.bus.request(vouchContract, { credential: token, principal: 'am://user/yoyodyne/bob' });
        await expect(vouch).rejects.toBeInstanceOf(UnauthenticatedError);
        await expect(vouch).rejects.toThrow(reason);
      });

      it('the same claims signed properly do pass (the cases above fail for their own reason only)', async () => {
        expect((await validate(forged.wellFormed, 'login')).valid).toBe(true);
        await expect(client.bus.request(vouchContract, { credential: forged.wellFormed, principal: 'am://user/yoyodyne/bob' })).resolves.toMatchObject({ principal: 'am://user/yoyodyne/bob' });
      });

      it('a plain principal path is not a credential for validate', async () => {
        expect(await validate('am://user/yoyodyne/bob')).toEqual({ valid: false, info: '', message: 'invalid credential' });
      });
    });
  });

  it('announces a signing key it creates on NATS, after the commit', async () => {
    const created: { kind: string; kid?: string }[] = [];
    const nc = await connect({ servers: infra.nats.url, user: 'gateway', pass: infra.env('gateway').AM_NATS_PASSWORD });
    nc.subscribe('am.events.identity.signing-key-created', { callback: (_e, m) => created.push(JSON.parse(StringCodec().decode(m.data)).data) });
    await nc.flush();
    // A second identity on an empty key space (its own prefix) makes a key for its first credential.
    const other = await startIdentity(loadConfig(identitySettings, infra.env('identity', { AM_ETCD_PREFIX: '/elsewhere/', AM_SSH_HOST_KEY: join(infra.dir, 'other_host_key') })));
    try {
      expect(other.signingKeys.all()).toEqual([]);
      await sshCredential(other.sshPort, 'am://user/the-operator', operatorKey.file);
      const kids = other.signingKeys.all().map((k) => keyId(k.expiry));
      expect(kids).toHaveLength(1);
      await waitFor('the signing-key-created event', () => created.length > 0, 5000, 10);
      expect(created).toEqual([expect.objectContaining({ kind: 'signing-key-created', kid: kids[0] })]);
      const etcd = infra.etcdClient();
      const stored = Object.values(await etcd.getAll().prefix('/elsewhere/identity/events/').strings()).join('\n');
      etcd.close();
      expect(stored).toContain(kids[0]);
    } finally {
      await other.close();
      await nc.close();
    }
  });

  it('keeps its signing keys and its ssh host key across a restart', async () => {
    const before = await sshCredential(identity.sshPort, 'am://user/the-operator', operatorKey.file);
    const hostKey = await readFile(join(infra.dir, 'ssh_host_ed25519'), 'utf8');
    const kids = Object.keys((await client.bus.request(signingKeysContract, {})).keys);
    await identity.close();
    identity = await startIdentity(identityConfig());
    expect(await readFile(join(infra.dir, 'ssh_host_ed25519'), 'utf8')).toBe(hostKey);
    expect(Object.keys((await client.bus.request(signingKeysContract, {})).keys)).toEqual(kids);
    expect((await validate(before.stdout)).valid).toBe(true);
    const after = await sshCredential(identity.sshPort, 'am://user/the-operator', operatorKey.file);
    const kidOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[0], 'base64url').toString()).kid;
    expect(kidOf(after.stdout)).toBe(kidOf(before.stdout));
  });
});
