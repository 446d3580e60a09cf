import { MasterKey, RecordSigner } from '@am/crypto';
import { createEtcd, etcdTlsOptions, KeyLayout } from '@am/store';
import { ensureEtcdCertificates, TestInfra } from '@am/testing';
import { Etcd3 } from 'etcd3';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const keys = new KeyLayout('/am/');
const plantedKey = `${keys.signingKeys()}999`;
const anchor = '/am/pki/live/anchors/planted';
const master = MasterKey.generate();
const recordKeys = { AM_IDENTITY_RECORD_KEY: RecordSigner.fromMasterKey('identity', master).toString(), AM_PKI_RECORD_KEY: RecordSigner.fromMasterKey('pki', master).toString() };

/**
 * Issue 17, 1a: etcd was open to anyone on the host. Now (harness, `npm run up` and compose alike)
 * it speaks TLS only, authenticates each client by its certificate, and each service's etcd user
 * may touch only its own keys. Each attack below is the one that worked before.
 */
describe('etcd refuses who it does not know and what a service may not touch', () => {
  let infra: TestInfra;
  const clients: Etcd3[] = [];
  const as = (user: Parameters<TestInfra['etcdClient']>[0]) => {
    const c = infra.etcdClient(user);
    clients.push(c);
    return c;
  };
  const port = () => new URL(infra.etcd.url).port;

  beforeAll(async () => {
    infra = await TestInfra.start();
    // Something to read back and to be refused on.
    await as('root').put(`${keys.signingKeys()}1`).value('{"kid":1}');
    await as('root').put('/am/pki/keys/ca').value('sealed');
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await infra?.stop();
  });

  it('refuses a client without a certificate, with a certificate from another CA, and plain http', async () => {
    const ca = await readFile(infra.etcdCerts!.server.caFile);
    const noCert = createEtcd([infra.etcd.url], { credentials: { rootCertificate: ca } });
    clients.push(noCert);
    await expect(noCert.put(plantedKey).value('{}')).rejects.toThrow();
    await expect(noCert.get(`${keys.signingKeys()}1`).string()).rejects.toThrow();

    // A certificate with the CN "root", but from a CA etcd does not trust.
    const other = await ensureEtcdCertificates(join(infra.dir, 'other-ca'));
    const foreign = createEtcd([infra.etcd.url], { credentials: { rootCertificate: ca, certChain: await readFile(other.client('root').certFile), privateKey: await readFile(other.client('root').keyFile) } });
    clients.push(foreign);
    await expect(foreign.put(plantedKey).value('{}')).rejects.toThrow();

    const plain = new Etcd3({ hosts: `http://127.0.0.1:${port()}`, dialTimeout: 2000 });
    clients.push(plain);
    await expect(plain.put(plantedKey).value('{}')).rejects.toThrow();
    // Nothing was planted (read back as root).
    expect(await as('root').get(plantedKey).string()).toBeNull();
  });

  it('curl (plain http and TLS without a client certificate) gets no answer from etcd', async () => {
    const body = JSON.stringify({ key: Buffer.from(plantedKey).toString('base64'), value: Buffer.from('{}').toString('base64') });
    const plainHttp = spawnSync('curl', ['-sS', '-m', '5', '-X', 'POST', `http://127.0.0.1:${port()}/v3/kv/put`, '-d', body], { encoding: 'utf8' });
    expect(plainHttp.status).not.toBe(0);
    const tlsNoCert = spawnSync('curl', ['-sS', '-m', '5', '--cacert', infra.etcdCerts!.server.caFile, '-X', 'POST', `https://127.0.0.1:${port()}/v3/kv/put`, '-d', body], { encoding: 'utf8' });
    expect(tlsNoCert.status).not.toBe(0);
    expect(await as('root').get(plantedKey).string()).toBeNull();
  });

  it.each([
    ['identity', '/am/meta/nodes/planted'],
    ['identity', anchor],
    ['identity', '/am/events/planted'],
    ['policy', plantedKey],
    ['policy', anchor],
    ['policy', '/am/pki/keys/ca'],
    ['pki', plantedKey],
    ['pki', '/am/meta/nodes/planted'],
    ['gateway', plantedKey],
    ['gateway', anchor],
    ['gateway', '/am/meta/nodes/planted'],
    ['gateway', '/am/events/planted'],
    ['gateway', '/am/planted'],
  ] as const)("%s's certificate cannot put %s", async (user, key) => {
    await expect(as(user).put(key).value('planted')).rejects.toThrow(/permission denied/i);
    await expect(as(user).delete().key(key).exec()).rejects.toThrow(/permission denied/i);
    expect(await as('root').get(key).string()).not.toBe('planted');
  });

  it('the gateway reads only what it verifies with: signing keys and pki/live, not the sealed CA key nor the tree', async () => {
    expect(await as('gateway').get(`${keys.signingKeys()}1`).string()).toBe('{"kid":1}');
    expect(await as('gateway').getAll().prefix('/am/pki/live/').keys()).toEqual(expect.any(Array));
    await expect(as('gateway').get('/am/pki/keys/ca').string()).rejects.toThrow(/permission denied/i);
    await expect(as('gateway').getAll().prefix('/am/meta/').keys()).rejects.toThrow(/permission denied/i);
    await expect(as('identity').get('/am/pki/keys/ca').string()).rejects.toThrow(/permission denied/i);
  });

  it('each service writes its own domain (the rest of the suite runs every service this way)', async () => {
    await as('identity').put(`${keys.signingKeys()}2`).value('{}');
    await as('pki').put('/am/pki/live/anchors/own').value('{}');
    await as('policy').put('/am/meta/own').value('{}');
    await as('root').delete().key(`${keys.signingKeys()}2`).exec();
    await as('root').delete().key('/am/pki/live/anchors/own').exec();
    await as('root').delete().key('/am/meta/own').exec();
  });
});

describe('a service given a plain etcd without a client certificate', () => {
  let cwd: string;
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'pipe' });
    cwd = mkdtempSync(join(tmpdir(), 'am-etcd-refusal-'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it.each(['policy', 'identity', 'pki', 'gateway'])('%s refuses to start, with one line (exit status 2)', (app) => {
    const r = spawnSync(process.execPath, [join(root, 'dist/apps', app, 'src/main.js')], {
      cwd,
      env: { PATH: process.env.PATH, AM_ETCD_URLS: 'http://127.0.0.1:1', AM_MASTER_KEY_FILE: join(cwd, 'master.key'), ...recordKeys },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.stderr.trim()).toBe(
      `${app}: invalid configuration: etcd without a client certificate is refused; set AM_ETCD_CA_FILE, AM_ETCD_CERT_FILE and AM_ETCD_KEY_FILE with https:// AM_ETCD_URLS (or AM_ETCD_ALLOW_INSECURE=true for an unauthenticated development etcd)`,
    );
    expect(r.status).toBe(2);
  });
});
