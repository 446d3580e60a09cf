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
import { generateSigningKey, issueCredential, keyId, type SigningKey } from '@am/crypto';
import { NotFoundError, PermissionDeniedError, UnauthenticatedError } from '@am/model';
import { connectBus, loadConfig, type BusConnection } from '@am/runtime';
import { createEtcd } from '@am/store';
import { TestInfra, waitFor } from '@am/testing';
import { policySettings, startPolicy } from '@apps/policy';
import { createHmac, sign } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, StringCodec } from 'nats';
import { identitySettings } from './config';
import { startIdentity } from './start';

interface SshResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The real OpenSSH client, asynchronously (the server runs in this very process). */
function ssh(port: number, principal: string, keyFile?: string): Promise<SshResult> {
  const args = ['-p', String(port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR'];
  if (keyFile) args.push('-i', keyFile);
  else args.push('-o', 'PubkeyAuthentication=yes', '-F', '/dev/null', '-o', 'IdentityFile=/dev/null');
  args.push('-l', principal, '127.0.0.1');
  return new Promise((resolve) => {
    execFile('ssh', args, { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

function sshKey(dir: string, type: 'ed25519' | 'rsa' | 'ecdsa', name: string): { file: string; pub: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', `${name}@test`, '-f', file]);
  return { file, pub: execFileSync('cat', [`${file}.pub`], { encoding: 'utf8' }).trim() };
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A compact JWS with any header and claims, ES256-signed by `key` (to build hostile tokens). */
function signRaw(header: Record<string, unknown>, claims: Record<string, unknown>, key: SigningKey): string {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

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
    infra = await TestInfra.start();
    infra.track(await startPolicy(loadConfig(policySettings, infra.env('policy', { AM_BOOT_UNIVERSE: 'new_sample' }))));
    identity = await startIdentity(identityConfig());
    const env = infra.env('gateway');
    client = await connectBus({ AM_NATS_URL: [env.AM_NATS_URL], AM_NATS_USER: env.AM_NATS_USER, AM_NATS_PASSWORD: env.AM_NATS_PASSWORD }, 'identity-test');
    keyDir = infra.dir;
    operatorKey = sshKey(keyDir, 'ed25519', 'operator');
    pluginKey = sshKey(keyDir, 'rsa', 'plugin');
    strangerKey = sshKey(keyDir, 'ed25519', 'stranger');
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
      const r = await ssh(identity.sshPort, 'am://user/the-operator', operatorKey.file);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      const v = await validate(r.stdout);
      expect(v).toMatchObject({ valid: true, message: 'credential is valid', kind: 'login', claims: { id: 'am://user/the-operator', roles: null, iss: 'access-manager' } });
      expect(v.claims!.exp - v.claims!.iat).toBe(3600);
      // The plain path no longer works (§6.13 step 3), the credential does (step 4).
      await expect(client.bus.request(resolveCallerContract, { credential: 'am://user/the-operator' })).rejects.toThrow("has ssh key, can't use plaintext ID");
      await expect(client.bus.request(resolveCallerContract, { credential: r.stdout })).resolves.toMatchObject({ principal: 'am://user/the-operator', via: 'credential' });
    });

    it('accepts an rsa key given with authorized_keys options', async () => {
      const r = await ssh(identity.sshPort, 'am://workload/yoyodyne/id-plugin', pluginKey.file);
      expect(r.status).toBe(0);
      expect((await validate(r.stdout)).claims?.id).toBe('am://workload/yoyodyne/id-plugin');
    });

    it.each([
      ['a key that is not the principal’s', 'am://user/the-operator', 'stranger'],
      ['an unknown principal', 'am://user/nobody', 'operator'],
      ['a principal without any key (no key, no login)', 'am://user/hpe/bu1/alice', 'operator'],
      ['a login name that is not a principal path', 'root', 'operator'],
    ])('refuses %s', async (_what, principal, key) => {
      const r = await ssh(identity.sshPort, principal, key === 'stranger' ? strangerKey.file : operatorKey.file);
      expect(r.status).toBe(255);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('Permission denied (publickey)');
    });

    it('refuses even the right key once a source address has failed too often', async () => {
      const strict = await startIdentity(loadConfig(identitySettings, infra.env('identity', { AM_SSH_MAX_FAILURES: '2', AM_SSH_FAILURE_WINDOW: '1h' })));
      try {
        expect((await ssh(strict.sshPort, 'am://user/the-operator', strangerKey.file)).status).toBe(255);
        expect((await ssh(strict.sshPort, 'am://user/the-operator', strangerKey.file)).status).toBe(255);
        const r = await ssh(strict.sshPort, 'am://user/the-operator', operatorKey.file);
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
      pluginCredential = (await ssh(identity.sshPort, 'am://workload/yoyodyne/id-plugin', pluginKey.file)).stdout;
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
      const etcd = createEtcd([infra.etcd.url]);
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
      const now = () => Math.floor(Date.now() / 1000);
      let key: SigningKey;
      let claims: Record<string, unknown>;
      let header: Record<string, unknown>;
      beforeAll(async () => {
        key = await identity.signingKeys.signingKeyFor(1800);
        header = { alg: 'ES256', typ: 'JWT', kid: keyId(key.expiry) };
        claims = { iss: 'access-manager', sub: 'id', aud: ['access-manager'], iat: now(), nbf: now() - 300, exp: now() + 600, key: key.expiry, id: 'am://workload/yoyodyne/id-plugin', roles: null, typ: 'login' };
      });

      const cases: [string, () => Promise<string> | string, RegExp][] = [
        ['alg none', () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`, /invalid credential|signing method none/],
        [
          'HS256 signed with the public key',
          () => {
            const input = `${b64url({ ...header, alg: 'HS256' })}.${b64url(claims)}`;
            return `${input}.${createHmac('sha256', key.publicKey.export({ format: 'pem', type: 'spki' })).update(input).digest('base64url')}`;
          },
          /signing method HS256 is invalid/,
        ],
        ['expired', () => signRaw(header, { ...claims, iat: now() - 4000, nbf: now() - 4300, exp: now() - 400 }, key), /token is expired by 6m4\ds|token is expired/],
        ['not yet valid', () => signRaw(header, { ...claims, iat: now() + 30, nbf: now() + 900, exp: now() + 1800 }, key), /not valid yet/],
        ['unknown kid', () => issueCredential({ key: generateSigningKey(now() + 7200), principal: 'am://workload/yoyodyne/id-plugin', kind: 'login', lifetimeSec: 600, now: now() }), /key not found/],
        ['wrong issuer', () => signRaw(header, { ...claims, iss: 'evil' }, key), /invalid issuer/],
        ['wrong audience', () => signRaw(header, { ...claims, aud: ['somebody-else'] }, key), /invalid audience/],
        [
          'tampered payload',
          () => {
            const [h, , s] = signRaw(header, claims, key).split('.');
            return `${h}.${b64url({ ...claims, id: 'am://user/yoyodyne/alice' })}.${s}`;
          },
          /verification error/,
        ],
        ['truncated', () => signRaw(header, claims, key).slice(0, -6), /verification error/],
        ['a delegation credential used as a login', () => issueCredential({ key, principal: 'am://workload/yoyodyne/id-plugin', kind: 'delegation', roles: [], lifetimeSec: 600, now: now() }), /delegation credential is not a login credential/],
      ];

      it.each(cases)('%s', async (_what, make, message) => {
        const token = await make();
        const v = await validate(token, 'login');
        expect(v.valid).toBe(false);
        expect(v.info).toBe('');
        expect(v.message).toMatch(message);
        const vouch = client.bus.request(vouchContract, { credential: token, principal: 'am://user/yoyodyne/bob' });
        await expect(vouch).rejects.toBeInstanceOf(UnauthenticatedError);
        await expect(vouch).rejects.toThrow(message);
      });

      it('the same claims signed properly do pass (the cases above fail for their own reason only)', async () => {
        const token = signRaw(header, claims, key);
        expect((await validate(token, 'login')).valid).toBe(true);
        await expect(client.bus.request(vouchContract, { credential: token, principal: 'am://user/yoyodyne/bob' })).resolves.toMatchObject({ principal: 'am://user/yoyodyne/bob' });
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
      await ssh(other.sshPort, 'am://user/the-operator', operatorKey.file);
      const kids = other.signingKeys.all().map((k) => keyId(k.expiry));
      expect(kids).toHaveLength(1);
      await waitFor('the signing-key-created event', () => created.length > 0, 5000, 10);
      expect(created).toEqual([expect.objectContaining({ kind: 'signing-key-created', kid: kids[0] })]);
      const etcd = createEtcd([infra.etcd.url]);
      const stored = Object.values(await etcd.getAll().prefix('/elsewhere/identity/events/').strings()).join('\n');
      etcd.close();
      expect(stored).toContain(kids[0]);
    } finally {
      await other.close();
      await nc.close();
    }
  });

  it('keeps its signing keys and its ssh host key across a restart', async () => {
    const before = await ssh(identity.sshPort, 'am://user/the-operator', operatorKey.file);
    const hostKey = await readFile(join(infra.dir, 'ssh_host_ed25519'), 'utf8');
    const kids = Object.keys((await client.bus.request(signingKeysContract, {})).keys);
    await identity.close();
    identity = await startIdentity(identityConfig());
    expect(await readFile(join(infra.dir, 'ssh_host_ed25519'), 'utf8')).toBe(hostKey);
    expect(Object.keys((await client.bus.request(signingKeysContract, {})).keys)).toEqual(kids);
    expect((await validate(before.stdout)).valid).toBe(true);
    const after = await ssh(identity.sshPort, 'am://user/the-operator', operatorKey.file);
    const kidOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[0], 'base64url').toString()).kid;
    expect(kidOf(after.stdout)).toBe(kidOf(before.stdout));
  });
});
