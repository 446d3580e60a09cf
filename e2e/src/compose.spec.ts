import { createEtcd, etcdTlsOptions } from '@am/store';
import { EtcdServer, pluginPermissions, requireBinary, SERVICE_NODE_FLAGS, SERVICE_PERMISSIONS } from '@am/testing';
import type { Etcd3 } from 'etcd3';
import { gatewaySettings } from '@apps/gateway';
import { identitySettings } from '@apps/identity';
import { pkiSettings } from '@apps/pki';
import { policySettings } from '@apps/policy';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { MasterKey, RecordSigner } from '@am/crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

// There is no Docker engine on CI machines: the compose file is checked against the compose-spec
// JSON schema (shipped in dclint; not in its exports, so read by path) and against the local stack.
const root = join(__dirname, '..', '..');
const schema = JSON.parse(readFileSync(join(root, 'node_modules/dclint/schemas/compose.schema.json'), 'utf8'));
delete schema.$schema;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

type Service = {
  ports?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  secrets?: string[];
  command?: string[];
  build?: { dockerfile: string; target: string };
};
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
};
const apps = { policy: policySettings, identity: identitySettings, pki: pkiSettings, gateway: gatewaySettings } as const;

const schemaErrors = (doc: unknown) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

describe('docker-compose.yml', () => {
  it('validates against the compose-spec schema', () => {
    expect(schemaErrors(compose)).toEqual([]);
  });

  it('the validator does reject a malformed file (the check above can fail)', () => {
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    broken.services.nats.port = 4222;
    broken.services.policy.healthcheck = { interval: 5 };
    expect(schemaErrors(broken).length).toBeGreaterThanOrEqual(2);
  });

  it('has etcd, its one-shot etcd-setup, nats and the four apps, every long-running one with a healthcheck', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['etcd', 'etcd-setup', 'gateway', 'identity', 'nats', 'pki', 'policy']);
    for (const [name, svc] of Object.entries(compose.services).filter(([n]) => n !== 'etcd-setup')) {
      const health = svc.healthcheck ?? (svc.build ? 'image HEALTHCHECK' : undefined);
      expect([name, health]).toEqual([name, expect.anything()]);
    }
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toMatch(/^HEALTHCHECK /m);
  });

  it('publishes the gateway on 8080 (HTTP) and 8443 (mTLS) and the ssh endpoint on 2222, on 127.0.0.1 unless AM_BIND_ADDRESS says otherwise, and nothing else', () => {
    const published = Object.entries(compose.services).flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name} ${p}`));
    const bind = '${AM_BIND_ADDRESS:-127.0.0.1}';
    expect(published.sort()).toEqual([`gateway ${bind}:8080:8080`, `gateway ${bind}:8443:8443`, `identity ${bind}:2222:2222`]);
  });

  it('leaves demonstration identities off (the policy service refuses bare principal paths by default)', () => {
    for (const s of Object.values(compose.services)) expect(Object.keys(s.environment ?? {})).not.toContain('AM_ALLOW_DEMO_IDENTITIES');
  });

  it('boots secure_sample by default (closed everywhere), not the open new_sample', () => {
    expect(compose.services.policy.environment?.AM_BOOT_UNIVERSE).toBe('${AM_BOOT_UNIVERSE:-secure_sample}');
  });

  it('keeps etcd data in a named volume and starts services only after healthy dependencies', () => {
    expect(compose.services.etcd.volumes).toContain('etcd-data:/etcd-data');
    expect(Object.keys(compose.volumes)).toContain('etcd-data');
    expect(compose.services.identity.volumes).toEqual(['identity-keys:/var/lib/am']); // the ssh host key
    for (const app of Object.keys(apps)) {
      const deps = compose.services[app].depends_on ?? {};
      expect(deps.etcd?.condition).toBe('service_healthy');
      expect(deps['etcd-setup']?.condition).toBe('service_completed_successfully');
      expect(deps.nats?.condition).toBe('service_healthy');
    }
    for (const backend of ['policy', 'identity', 'pki']) {
      expect(compose.services.gateway.depends_on?.[backend]?.condition).toBe('service_healthy');
    }
  });

  it.each(Object.keys(apps))('%s uses only variables the service declares, and runs its own entry point with the stack\'s node flags', (app) => {
    const svc = compose.services[app];
    const declared = new Set(Object.entries(apps[app as keyof typeof apps]).flatMap(([name, s]) => [name, ...(s.aliases ?? [])]));
    const used = Object.keys(svc.environment ?? {}).filter((k) => k.startsWith('AM_') || k === 'LOG_LEVEL');
    expect(used.filter((v) => !declared.has(v))).toEqual([]);
    expect(svc.environment?.AM_NATS_USER).toBe(app);
    expect(svc.command).toEqual(['node', ...SERVICE_NODE_FLAGS, `dist/apps/${app}/src/main.js`]);
  });

  it('gives every service the same NATS user and permissions as the local stack', () => {
    const conf = readFileSync(join(root, 'deploy/nats/nats.conf'), 'utf8');
    for (const [user, perms] of [...Object.entries(SERVICE_PERMISSIONS), ['plugin', pluginPermissions('plugin')] as const]) {
      const line = conf.split('\n').find((l) => l.includes(`user: "${user}"`));
      expect(line).toBeDefined();
      const list = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
      expect(line).toContain(`publish: ${list(perms.publish)}`);
      expect(line).toContain(`subscribe: ${list(perms.subscribe)}`);
      const passwordVar = `AM_NATS_${user.toUpperCase()}_PASSWORD`;
      expect(line).toContain(`password: $${passwordVar}`);
      expect(compose.services.nats.environment?.[passwordVar]).toBeDefined();
    }
    expect(conf).toMatch(/^jetstream \{/m);
  });

  it('has no default NATS passwords: compose refuses to start until deploy/make-secrets made them', () => {
    const required = (v: string) => `\${${v}:?run deploy/make-secrets first}`;
    for (const [name, value] of Object.entries(compose.services.nats.environment ?? {})) expect(value).toBe(required(name));
    for (const app of Object.keys(apps)) {
      expect(compose.services[app].environment?.AM_NATS_PASSWORD).toBe(required(`AM_NATS_${app.toUpperCase()}_PASSWORD`));
    }
  });

  it('hands identity and pki their master keys as compose secrets, from files neither git nor an image ever holds', () => {
    for (const app of ['identity', 'pki']) {
      const secret = `${app}_master_key`;
      expect(compose.services[app].secrets?.filter((x) => !x.startsWith('etcd_'))).toEqual([secret]);
      expect(compose.services[app].environment?.AM_MASTER_KEY_FILE).toBe(`/run/secrets/${secret}`);
      expect(compose.secrets[secret]).toEqual({ file: `./deploy/secrets/${app}-master.key` });
    }
    for (const file of ['deploy/secrets/identity-master.key', 'deploy/secrets/pki-master.key', '.env']) {
      expect([file, spawnSync('git', ['check-ignore', '-q', file], { cwd: root }).status]).toEqual([file, 0]);
    }
    const dockerignore = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    expect(dockerignore).toEqual(expect.arrayContaining(['deploy/secrets', '.env', '.am'])); // never in an image layer
  });

  it('runs etcd with TLS and client-certificate authentication only, and a healthcheck that speaks it', () => {
    const etcd = compose.services.etcd;
    const flags = etcd.command ?? [];
    expect(flags).toEqual(expect.arrayContaining(['--client-cert-auth', '--trusted-ca-file=/run/secrets/etcd_ca', '--cert-file=/run/secrets/etcd_server_cert', '--key-file=/run/secrets/etcd_server_key']));
    expect(flags.filter((f) => /^--(listen|advertise)-client-urls=/.test(f)).every((f) => /=https:\/\//.test(f))).toBe(true);
    expect(flags.join(' ')).not.toMatch(/client-urls=http:/);
    expect(etcd.secrets?.sort()).toEqual(['etcd_ca', 'etcd_server_cert', 'etcd_server_key']);
    expect(etcd.healthcheck?.test).toEqual(expect.arrayContaining(['--endpoints=https://127.0.0.1:2379', '--cacert=/run/secrets/etcd_ca', '--cert=/run/secrets/etcd_server_cert']));
  });

  it.each(Object.keys(apps))('%s reaches etcd over https with its own client certificate and no other', (app) => {
    const svc = compose.services[app];
    expect(svc.environment).toMatchObject({
      AM_ETCD_URLS: 'https://etcd:2379',
      AM_ETCD_CA_FILE: '/run/secrets/etcd_ca',
      AM_ETCD_CERT_FILE: `/run/secrets/etcd_${app}_cert`,
      AM_ETCD_KEY_FILE: `/run/secrets/etcd_${app}_key`,
    });
    expect(svc.environment?.AM_ETCD_ALLOW_INSECURE).toBeUndefined();
    expect(svc.secrets?.filter((x) => x.startsWith('etcd_')).sort()).toEqual(['etcd_ca', `etcd_${app}_cert`, `etcd_${app}_key`]);
    expect(compose.secrets[`etcd_${app}_cert`]).toEqual({ file: `./deploy/secrets/etcd-${app}.crt` });
    expect(compose.secrets[`etcd_${app}_key`]).toEqual({ file: `./deploy/secrets/etcd-${app}.key` });
  });

  it('only etcd-setup holds the root certificate, and no container the CA key', () => {
    const holders = Object.entries(compose.services).filter(([, s]) => s.secrets?.some((x) => x.startsWith('etcd_root_'))).map(([n]) => n);
    expect(holders).toEqual(['etcd-setup']);
    expect(Object.values(compose.secrets).map((x) => x.file)).not.toContain('./deploy/secrets/etcd-ca.key');
    const setup = compose.services['etcd-setup'];
    expect(setup.command).toEqual(['node', 'dist/tools/stack/src/etcd-setup.js']);
    expect(setup.environment).toMatchObject({ AM_ETCD_URLS: 'https://etcd:2379', AM_ETCD_CERT_FILE: '/run/secrets/etcd_root_cert', AM_ETCD_KEY_FILE: '/run/secrets/etcd_root_key' });
    expect(setup.depends_on?.etcd?.condition).toBe('service_healthy');
  });

  describe('deploy/make-secrets', () => {
    let dir: string;
    const run = () => spawnSync(join(dir, 'deploy', 'make-secrets'), { encoding: 'utf8' });
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'am-make-secrets-'));
      mkdirSync(join(dir, 'deploy'));
      copyFileSync(join(root, 'deploy', 'make-secrets'), join(dir, 'deploy', 'make-secrets'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('makes the master keys compose names (valid, in a directory only the owner can enter) and random NATS passwords in .env', async () => {
      const first = run();
      expect(first.status).toBe(0);
      expect(statSync(join(dir, 'deploy', 'secrets')).mode & 0o777).toBe(0o700);
      for (const secret of Object.values(compose.secrets).filter((x) => x.file.endsWith('master.key'))) {
        const file = join(dir, secret.file);
        await expect(MasterKey.load(file)).resolves.toBeInstanceOf(MasterKey);
        expect(statSync(file).mode & 0o222).toBe(0); // read-only
      }
      expect(readFileSync(join(dir, 'deploy/secrets/identity-master.key'))).not.toEqual(readFileSync(join(dir, 'deploy/secrets/pki-master.key')));
      const env = readFileSync(join(dir, '.env'), 'utf8');
      expect(statSync(join(dir, '.env')).mode & 0o077).toBe(0);
      const variables = Object.keys(compose.services.nats.environment ?? {});
      const passwords = variables.map((v) => env.match(new RegExp(`^${v}=(p[A-Za-z0-9]{27})$`, 'm'))?.[1]);
      expect(passwords).toHaveLength(5);
      expect(new Set(passwords).size).toBe(5);
      expect(passwords).not.toContain(undefined);
      // nats-server reads each value as configuration: it must take every generated password as a string.
      const natsEnv = { PATH: process.env.PATH, ...Object.fromEntries(variables.map((v, i) => [v, passwords[i]!])) };
      const checked = spawnSync(requireBinary('nats-server', 'nats-server'), ['-t', '-c', join(root, 'deploy/nats/nats.conf')], { env: natsEnv, encoding: 'utf8' });
      expect(checked.stderr + checked.stdout).toContain('is valid');
    });

    it('adds to an existing .env without running into its last line or replacing a password it holds', () => {
      const other = mkdtempSync(join(tmpdir(), 'am-make-secrets-'));
      try {
        mkdirSync(join(other, 'deploy'));
        copyFileSync(join(root, 'deploy', 'make-secrets'), join(other, 'deploy', 'make-secrets'));
        writeFileSync(join(other, '.env'), 'export AM_NATS_PKI_PASSWORD=mine\nAM_LOG_LEVEL=debug');
        expect(spawnSync(join(other, 'deploy', 'make-secrets')).status).toBe(0);
        const lines = readFileSync(join(other, '.env'), 'utf8').trim().split('\n');
        expect(lines.slice(0, 2)).toEqual(['export AM_NATS_PKI_PASSWORD=mine', 'AM_LOG_LEVEL=debug']);
        expect(lines.slice(2).map((l) => l.split('=')[0])).toEqual([
          'AM_NATS_GATEWAY_PASSWORD',
          'AM_NATS_POLICY_PASSWORD',
          'AM_NATS_IDENTITY_PASSWORD',
          'AM_NATS_PLUGIN_PASSWORD',
          'AM_IDENTITY_RECORD_KEY',
          'AM_PKI_RECORD_KEY',
        ]);
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    });

    it('writes the record keys the services derive from the master keys (openssl HKDF + Ed25519), for the gateway and policy only', async () => {
      const env = readFileSync(join(dir, '.env'), 'utf8');
      for (const domain of ['identity', 'pki'] as const) {
        const variable = `AM_${domain.toUpperCase()}_RECORD_KEY`;
        const master = await MasterKey.load(join(dir, `deploy/secrets/${domain}-master.key`));
        expect(env.match(new RegExp(`^${variable}=(.*)$`, 'm'))?.[1]).toBe(RecordSigner.fromMasterKey(domain, master).toString());
        const holders = Object.entries(compose.services).filter(([, s]) => s.environment?.[variable] !== undefined).map(([n]) => n);
        expect([variable, holders.sort()]).toEqual([variable, ['gateway', 'policy']]);
        expect(compose.services.gateway.environment?.[variable]).toBe(`\${${variable}:?run deploy/make-secrets first}`);
      }
      // Run again: the same keys, each once.
      expect(run().status).toBe(0);
      expect(readFileSync(join(dir, '.env'), 'utf8').match(/_RECORD_KEY=/g)).toHaveLength(2);
      expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(env);
    });

    it("makes etcd certificates that etcd (with compose's flags) and etcd-setup work with: users with their own keys only, no client without a certificate", async () => {
      execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'pipe' });
      const secret = (name: string) => join(dir, compose.secrets[name].file);
      const files = (user: string) => ({ caFile: secret('etcd_ca'), certFile: secret(`etcd_${user}_cert`), keyFile: secret(`etcd_${user}_key`) });
      const etcd = await EtcdServer.start({
        dataDir: join(dir, 'etcd-data'),
        tls: { server: { caFile: secret('etcd_ca'), certFile: secret('etcd_server_cert'), keyFile: secret('etcd_server_key') }, probe: files('root') },
      });
      const clients: Etcd3[] = [];
      const as = (user: string) => {
        const c = createEtcd([etcd.url], etcdTlsOptions(files(user), { serverName: 'localhost' }));
        clients.push(c);
        return c;
      };
      try {
        const setupEnv = { PATH: process.env.PATH, ...compose.services['etcd-setup'].environment, AM_ETCD_URLS: etcd.url, AM_ETCD_CA_FILE: secret('etcd_ca'), AM_ETCD_CERT_FILE: secret('etcd_root_cert'), AM_ETCD_KEY_FILE: secret('etcd_root_key'), AM_LOG_LEVEL: 'silent' };
        const setup = compose.services['etcd-setup'].command!;
        // Twice: it runs on every `docker compose up`.
        for (let i = 0; i < 2; i++) {
          const r = spawnSync(setup[0] === 'node' ? process.execPath : setup[0], setup.slice(1), { cwd: root, env: setupEnv, encoding: 'utf8', timeout: 30_000 });
          expect([r.status, r.stderr.replace(/^.*DEP0123.*\n.*trace-deprecation.*\n/m, '')]).toEqual([0, '']);
        }
        await as('identity').put('/am/identity/signing-keys/1').value('{}');
        await expect(as('identity').put('/am/meta/x').value('planted')).rejects.toThrow(/permission denied/i);
        await expect(as('policy').put('/am/identity/signing-keys/2').value('planted')).rejects.toThrow(/permission denied/i);
        await expect(as('gateway').put('/am/pki/live/anchors/x').value('planted')).rejects.toThrow(/permission denied/i);
        expect(await as('gateway').get('/am/identity/signing-keys/1').string()).toBe('{}');
        const noCert = createEtcd([etcd.url], { credentials: { rootCertificate: readFileSync(secret('etcd_ca')) } });
        clients.push(noCert);
        await expect(noCert.get('/am/identity/signing-keys/1').string()).rejects.toThrow();
      } finally {
        for (const c of clients) c.close();
        await etcd.stop();
      }
    });

    it('never replaces what exists: a second run changes nothing', () => {
      const before = [readFileSync(join(dir, 'deploy/secrets/identity-master.key'), 'utf8'), readFileSync(join(dir, '.env'), 'utf8')];
      const again = run();
      expect(again.status).toBe(0);
      expect(again.stdout).toContain('kept');
      expect([readFileSync(join(dir, 'deploy/secrets/identity-master.key'), 'utf8'), readFileSync(join(dir, '.env'), 'utf8')]).toEqual(before);
    });
  });
});
