// CSR signings per second, single process: parse + verify an `openssl req` CSR, issue a client
// certificate (SAN URI, EKU clientAuth, random serial) and encode it as PEM, serially.
import { createCaHierarchy, signCsr, issueCertificate, parseCsr, type CertificateAuthority } from '@am/crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SECONDS_PER_CASE = 2;

function opensslCsr(dir: string, name: string, keyArgs: string[]): string {
  const r = spawnSync('openssl', ['req', '-new', ...keyArgs, '-nodes', '-keyout', join(dir, `${name}.key`), '-subj', `/CN=${name}`, '-out', join(dir, `${name}.csr`)]);
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return readFileSync(join(dir, `${name}.csr`), 'utf8');
}

/** Runs `op` for SECONDS_PER_CASE after a warm-up; returns operations per second. */
function rate(op: () => void): number {
  for (let i = 0; i < 200; i++) op();
  let count = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(SECONDS_PER_CASE * 1e9);
  while (process.hrtime.bigint() - start < budget) {
    for (let i = 0; i < 50; i++) op();
    count += 50;
  }
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

function main() {
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-pki-'));
  try {
    const ecCsr = opensslCsr(dir, 'ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const rsaCsr = opensslCsr(dir, 'rsa', ['-newkey', 'rsa:2048']);
    const ecCa: CertificateAuthority = createCaHierarchy({}).intermediate.authority;
    const rsaCa: CertificateAuthority = createCaHierarchy({ key: { type: 'rsa', bits: 2048 } }).intermediate.authority;
    const request = { principal: 'am://user/hpe/bu1/alice' };
    const ecKey = parseCsr(ecCsr).publicKey;

    const metrics = [
      { name: 'P-256 CSR, P-256 CA: signings/s', value: rate(() => signCsr(ecCa, ecCsr, request)), unit: 'certs/s' },
      { name: 'RSA-2048 CSR, P-256 CA: signings/s', value: rate(() => signCsr(ecCa, rsaCsr, request)), unit: 'certs/s' },
      { name: 'RSA-2048 CSR, RSA-2048 CA: signings/s', value: rate(() => signCsr(rsaCa, rsaCsr, request)), unit: 'certs/s' },
      { name: 'P-256 issuance only (no CSR), P-256 CA', value: rate(() => issueCertificate(ecCa, ecKey, request)), unit: 'certs/s' },
    ];
    console.log(
      JSON.stringify({
        title: 'PKI CSR signing, single process (parse + verify CSR, issue, PEM)',
        metrics,
        notes: `Serial loop, ${SECONDS_PER_CASE} s per case after 200 warm-up signings; CSRs made once by openssl req. Goal: >= 2,000 signings/s for P-256.`,
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
