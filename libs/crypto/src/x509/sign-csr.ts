/** The `POST /v1/pki/sign` step: parse and verify a CSR, then issue for its key. */
import type { CertificateAuthority } from './ca';
import { parseCsr, type ParsedCsr } from './csr';
import { DEFAULT_ISSUANCE_POLICY, issueCertificate, type IssuancePolicy, type IssuedCertificate, type LeafRequest } from './issue';

export function signCsr(
  ca: CertificateAuthority,
  csr: string | Buffer,
  request: LeafRequest,
  policy: IssuancePolicy = DEFAULT_ISSUANCE_POLICY,
): IssuedCertificate & { csr: ParsedCsr } {
  const parsed = parseCsr(csr);
  return { ...issueCertificate(ca, parsed.publicKey, request, policy), csr: parsed };
}
