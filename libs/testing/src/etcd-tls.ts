import { createRootCa, issueInfrastructureCertificate, loadCertificateAuthority } from '@am/crypto';
import { ETCD_ROOT_USER, ETCD_SERVICE_USERS, type EtcdTlsFiles } from '@am/store';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The etcd users that get a client certificate: the services and root. */
export const ETCD_CERT_USERS = [...ETCD_SERVICE_USERS, ETCD_ROOT_USER] as const;

export interface EtcdCertificates {
  dir: string;
  /** etcd's own: its CA (what it trusts client certificates from) and its server certificate. */
  server: EtcdTlsFiles;
  /** One client certificate per etcd user (CN = user), signed by the same CA. */
  client(user: string): EtcdTlsFiles;
}

/**
 * A bootstrap CA, etcd's server certificate and one client certificate per user in `dir` (0700,
 * files 0600), made on first use and kept afterwards; a user added later gets its certificate then.
 * The CA key stays in `dir` so that the stack tool can issue for new users; nothing else reads it.
 */
export async function ensureEtcdCertificates(dir: string, options: { users?: readonly string[]; ipAddresses?: string[]; dnsNames?: string[] } = {}): Promise<EtcdCertificates> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const file = (name: string) => join(dir, name);
  const write = (name: string, content: string) => writeFile(file(name), content, { mode: 0o600 });
  let ca;
  const existing = await Promise.all([readFile(file('ca.crt'), 'utf8'), readFile(file('ca.key'), 'utf8')]).catch(() => undefined);
  if (existing) {
    ca = loadCertificateAuthority({ certificate: existing[0], privateKey: existing[1] });
  } else {
    const made = createRootCa({ subject: [{ type: 'CN', value: 'Access Manager etcd CA' }] });
    // Key first: a CA certificate without its key would be "kept" and could never issue.
    await write('ca.key', made.privateKeyPem);
    await write('ca.crt', made.certificatePem);
    ca = made.authority;
  }
  const issue = async (name: string, request: Parameters<typeof issueInfrastructureCertificate>[1]) => {
    if (await readFile(file(`${name}.crt`)).then(() => true, () => false)) return;
    const cert = issueInfrastructureCertificate(ca, request);
    await writeFile(file(`${name}.key`), cert.privateKeyPem, { mode: 0o600 });
    await writeFile(file(`${name}.crt`), cert.certificatePem, { mode: 0o600 });
  };
  await issue('server', { commonName: 'etcd', dnsNames: options.dnsNames ?? ['localhost'], ipAddresses: options.ipAddresses ?? ['127.0.0.1'] });
  for (const user of options.users ?? ETCD_CERT_USERS) await issue(`client-${user}`, { commonName: user });
  const files = (name: string): EtcdTlsFiles => ({ caFile: file('ca.crt'), certFile: file(`${name}.crt`), keyFile: file(`${name}.key`) });
  return { dir, server: files('server'), client: (user) => files(`client-${user}`) };
}
