// CRL generation time (DER + PEM, signed by a P-256 intermediate) at 1k, 10k and 100k entries.
import { assembleCrl, buildCrl, createCaHierarchy, crlIssuerFromCertificate, crlToBeSigned, randomSerial, signCrl, crlIssuerOf, type RevokedCertificate } from '@am/crypto';
import { median } from './support/load';

const SIZES = [1_000, 10_000, 100_000];
const REPEATS: Record<number, number> = { 1_000: 21, 10_000: 9, 100_000: 5 };

function entries(count: number): RevokedCertificate[] {
  const start = Date.UTC(2030, 0, 1);
  return Array.from({ length: count }, (_, i) => ({
    serialHex: randomSerial().hex,
    revokedAt: new Date(start + i * 1000),
    reason: i % 2 ? 'keyCompromise' : undefined,
  }));
}

function main() {
  const ca = createCaHierarchy({}).intermediate.authority;
  const metrics: { name: string; value: number; unit: string }[] = [];
  let bytesAt100k = 0;
  for (const size of SIZES) {
    const revoked = entries(size);
    buildCrl(ca, revoked, { crlNumber: 1 }); // warm-up
    const times: number[] = [];
    for (let i = 0; i < REPEATS[size]; i++) {
      const t0 = process.hrtime.bigint();
      const crl = buildCrl(ca, revoked, { crlNumber: i + 2 });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      bytesAt100k = crl.der.length;
    }
    metrics.push({ name: `${size.toLocaleString('en-US')} entries`, value: median(times), unit: 'ms' });
  }
  // What every pki replica and verifier does per CRL change: rebuild the TBS from the revocations,
  // attach the stored signature and check it, with only the CA certificate (no key).
  const revoked = entries(100_000);
  const options = { crlNumber: 5, thisUpdate: new Date(Date.UTC(2031, 0, 1)), nextUpdate: new Date(Date.UTC(2031, 0, 2)) };
  const signature = signCrl(ca, crlToBeSigned(crlIssuerOf(ca), revoked, options));
  const publicIssuer = crlIssuerFromCertificate(ca.certificate);
  const rebuild: number[] = [];
  for (let i = 0; i < REPEATS[100_000]; i++) {
    const t0 = process.hrtime.bigint();
    assembleCrl(publicIssuer, crlToBeSigned(publicIssuer, revoked, options), signature);
    rebuild.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  metrics.push({ name: '100,000 entries rebuilt from a stored signature (verified)', value: median(rebuild), unit: 'ms' });
  console.log(
    JSON.stringify({
      title: 'CRL generation (v2, reason codes on half the entries, P-256 signature, DER + PEM)',
      metrics,
      notes: `Median per size over ${Object.values(REPEATS).join('/')} builds; entries prepared outside the timing. 100k-entry CRL: ${(bytesAt100k / 1e6).toFixed(1)} MB DER. Goal: 100k entries < 2 s. The rebuild row is what each pki replica and verifier does per CRL change (TBS from the revocations + stored signature, signature verified, PEM).`,
    }),
  );
}

main();
