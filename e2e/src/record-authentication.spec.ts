import { certificateFingerprint, generateSigningKey, issueCredential, keyId, MasterKey, sealSigningKey } from '@am/crypto';
import { PkiLayout } from '@am/pki-state';
import { KeyLayout } from '@am/store';
import { waitFor } from '@am/testing';
import type { Etcd3 } from 'etcd3';
import { api, Peers, startPkiStack, type Gateway } from './pki-peers';

const OPERATOR = 'am://user/the-operator';
const ALICE = 'am://user/hpe/bu1/alice';
const keys = new KeyLayout('/am/');
const pki = new PkiLayout(keys);

/**
 * Issue 17, 1b: what etcd holds was trusted blindly. etcd's access control now keeps the services
 * out of each other's keys, but whoever writes to etcd anyway (its root user here, as an attacker
 * on the host would) must still not be able to mint a caller. Each attack is the one that worked.
 */
describe('records written into etcd behind the services verify nothing', () => {
  let stack: Awaited<ReturnType<typeof startPkiStack>>;
  let peers: Peers;
  let root: Etcd3;
  const nowSec = () => Math.floor(Date.now() / 1000);
  const tlsCurl = (gateway: Gateway, path: string, cert: string) =>
    peers.curl(`https://127.0.0.1:${gateway.tlsPort}${path}`, '--cacert', 'chain.pem', '--cert', `${cert}.pem`, '--key', `${cert}.key`);
  const readyz = async (url = stack.url) => (await api(url, 'GET', '/readyz')).json as { status: string; ignoredRecords?: Record<string, { count: number; keys: string[] }> };
  const ignoredBy = async (service: string, url = stack.url) => (await readyz(url)).ignoredRecords?.[service]?.keys ?? [];

  beforeAll(async () => {
    stack = await startPkiStack();
    peers = await Peers.create();
    root = stack.infra.etcdClient('root');
    await peers.write('chain.pem', (await api(stack.url, 'GET', '/v1/pki/ca')).text);
    // A signing key exists (identity makes one on first use) and nothing is ignored yet.
    expect((await api(stack.url, 'GET', '/v1/whoami', { as: ALICE })).status).toBe(200);
    expect((await readyz()).ignoredRecords).toBeUndefined();
  });
  afterAll(async () => {
    root?.close();
    await stack?.stop();
    await peers?.cleanup();
  });

  it('a planted signing key: a JWT for the operator signed with it is 401 at the gateway and at policy, and /readyz and the metrics name it', async () => {
    // Newer than every real key, so that verifiers even read etcd again for it (catch-up).
    const planted = generateSigningKey(nowSec() + 30 * 24 * 3600);
    const record = `${keys.signingKeys()}${keyId(planted.expiry)}`;
    await root.put(record).value(JSON.stringify(sealSigningKey(planted, MasterKey.generate(), record)));
    const head = `${keys.domain('identity')}signing-key-set`;
    const set = JSON.parse((await root.get(head).string()) ?? '{"kids":[]}') as { kids: string[] };
    await root.put(head).value(JSON.stringify({ ...set, kids: [...set.kids, keyId(planted.expiry)] }));
    const forged = await issueCredential({ key: planted, principal: OPERATOR, kind: 'login', lifetimeSec: 600, now: nowSec() });

    const whoami = await peers.curl(`${stack.url}/v1/whoami`, '-H', `Authorization: Bearer ${forged}`);
    expect(whoami.status).toBe(401);
    // The compat surface passes the credential on to policy, which checks it against its own view.
    const compat = await peers.curl(`${stack.url}/whoami?caller_id=${encodeURIComponent(forged)}`);
    expect(compat.json?.principal).toBeUndefined();
    expect(compat.body).not.toContain(OPERATOR);

    await waitFor('the planted key to be reported', async () => (await ignoredBy('gateway')).includes(record) && (await ignoredBy('policy')).includes(record), 5000);
    const metrics = await (await fetch(`http://127.0.0.1:${stack.gateway.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^am_ignored_records\{service="gateway"\} [1-9]/m);
    await root.delete().key(record);
    await root.put(head).value(JSON.stringify(set));
    await waitFor('the report to clear', async () => (await readyz()).ignoredRecords === undefined, 5000);
  });

  it('a planted trust anchor and a planted pin are not trusted over mTLS; the same records signed with the pki record key would be', async () => {
    await peers.externalCa('evil');
    await peers.leafFrom('evil', 'evil-op', ['extendedKeyUsage=clientAuth', `subjectAltName=URI:${OPERATOR}`]);
    const evilCa = await peers.read('evil.pem');
    const anchorKey = pki.anchor(certificateFingerprint(evilCa));
    const anchor = {
      fingerprint: certificateFingerprint(evilCa),
      label: 'evil',
      subject: 'CN=evil',
      certificatePem: evilCa,
      mapping: { kind: 'san-uri', allowedPrefixes: ['am://user/'] },
      notAfter: new Date(Date.now() + 86400_000).toISOString(),
      addedBy: OPERATOR,
      addedAt: new Date().toISOString(),
    };
    await peers.openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'self-op.key', '-subj', '/CN=self-op', '-days', '2',
      '-out', 'self-op.pem', '-addext', 'extendedKeyUsage=clientAuth', '-addext', 'basicConstraints=critical,CA:FALSE');
    const selfFingerprint = certificateFingerprint(await peers.read('self-op.pem'));
    const pinKey = pki.pinned(selfFingerprint);
    const pin = { fingerprint: selfFingerprint, principal: OPERATOR, addedBy: OPERATOR, addedAt: new Date().toISOString() };

    await root.put(anchorKey).value(JSON.stringify(anchor));
    await root.put(pinKey).value(JSON.stringify(pin));
    await waitFor('both to be reported', async () => {
      const ignored = await ignoredBy('gateway');
      return ignored.includes(anchorKey) && ignored.includes(pinKey);
    }, 5000);
    for (const cert of ['evil-op', 'self-op']) {
      const r = await tlsCurl(stack.gateway, '/v1/whoami', cert);
      expect([cert, r.status, r.json?.detail]).toEqual([cert, 401, expect.stringMatching(/\(untrusted\)/)]);
    }

    // The control: only the signature differs, and with it the records are trusted (so the refusal above is the check's doing).
    await root.put(anchorKey).value(stack.infra.records.pki.seal(anchorKey, anchor));
    await root.put(pinKey).value(stack.infra.records.pki.seal(pinKey, pin));
    await waitFor('the signed records to be trusted', async () => (await tlsCurl(stack.gateway, '/v1/whoami', 'self-op')).status === 200, 5000);
    expect((await tlsCurl(stack.gateway, '/v1/whoami', 'evil-op')).json.principal).toBe(OPERATOR);
    await root.delete().key(anchorKey);
    await root.delete().key(pinKey);
    await waitFor('them to be gone', async () => (await tlsCurl(stack.gateway, '/v1/whoami', 'self-op')).status === 401, 5000);
  });

  it('un-revoke: a revocation deleted in etcd stays in force while running, and after a restart nothing of our CA is trusted until it is restored', async () => {
    const issue = async (name: string) => {
      const r = await api(stack.url, 'POST', '/v1/pki/issue', { as: ALICE, body: { principal: ALICE } });
      expect(r.status).toBe(201);
      await peers.write(`${name}.pem`, r.json.certificate);
      await peers.write(`${name}.key`, r.json.privateKey);
      return r.json.serial as string;
    };
    const serial = await issue('revokee');
    await issue('good');
    expect((await tlsCurl(stack.gateway, '/v1/whoami', 'revokee')).status).toBe(200);
    expect((await api(stack.url, 'POST', '/v1/pki/revoke', { as: ALICE, body: { serial } })).status).toBe(200);
    expect((await tlsCurl(stack.gateway, '/v1/whoami', 'revokee')).json.detail).toMatch(/revoked/);

    const revokedKey = pki.revoked(serial);
    const revocation = (await root.get(revokedKey).string())!;
    await root.delete().key(revokedKey);
    await waitFor('the deletion to be reported', async () => (await ignoredBy('gateway')).includes(revokedKey), 5000);
    expect((await tlsCurl(stack.gateway, '/v1/whoami', 'revokee')).status).toBe(401);
    expect((await tlsCurl(stack.gateway, '/v1/whoami', 'good')).status).toBe(200);

    // A gateway starting now reads etcd without the record: the CRL our CA signed no longer matches.
    const restarted = await stack.extraGateway({});
    const restartedUrl = `http://127.0.0.1:${restarted.port}`;
    for (const cert of ['revokee', 'good']) expect([cert, (await tlsCurl(restarted, '/v1/whoami', cert)).status]).toEqual([cert, 401]);
    expect(await ignoredBy('gateway', restartedUrl)).toContain(pki.crl);

    // The operator restores the record (from etcd's history or a backup): trusted again, the revocation in force.
    await root.put(revokedKey).value(revocation);
    await waitFor('the restored revocations to be trusted', async () => (await tlsCurl(restarted, '/v1/whoami', 'good')).status === 200, 5000);
    expect((await tlsCurl(restarted, '/v1/whoami', 'revokee')).status).toBe(401);
    expect(await ignoredBy('gateway', restartedUrl)).toEqual([]);
  });
});
