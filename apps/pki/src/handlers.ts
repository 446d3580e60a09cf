import {
  caContract,
  crlContract,
  gatewayServerCertificateContract,
  handler,
  initCaContract,
  issueCertificateContract,
  pinContract,
  revokeContract,
  signCsrContract,
  trustAddContract,
  trustListContract,
  trustRemoveContract,
  unpinContract,
  type BusHandler,
} from '@am/bus';
import type { PkiService } from './pki-service';

/** The pki service's bus surface: one handler per contract of libs/bus/src/contracts/pki.ts. */
export function pkiHandlers(svc: PkiService): BusHandler[] {
  return [
    handler(caContract, () => svc.caChain()),
    handler(initCaContract, ({ credential, keyType }) => svc.initCa(credential, keyType)),
    handler(signCsrContract, (req) => svc.signCsr(req)),
    handler(issueCertificateContract, (req) => svc.issue(req)),
    handler(gatewayServerCertificateContract, (req) => svc.gatewayCertificate(req)),
    handler(revokeContract, (req) => svc.revoke(req)),
    handler(crlContract, (req) => svc.crlPart(req)),
    handler(trustAddContract, (req) => svc.trustAdd(req)),
    handler(trustListContract, ({ credential }) => svc.trustList(credential)),
    handler(trustRemoveContract, (req) => svc.trustRemove(req)),
    handler(pinContract, (req) => svc.pin(req)),
    handler(unpinContract, (req) => svc.unpin(req)),
  ];
}
