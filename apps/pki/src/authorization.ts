import { authorizeCertificateContract, authorizeVouchContract, checkContract, resolveCallerContract, type BusClient } from '@am/bus';
import { PermissionDeniedError } from '@am/model';

/**
 * Who may do what with certificates (docs/access-model-decisions.md, "Certificates"). Every
 * decision is the policy service's: pki only forwards the caller's credential and the question.
 */
export class PkiAuthorization {
  constructor(private readonly bus: BusClient) {}

  /** A certificate (or a pinned one) for `principal`: the caller is it, or holds View + VOUCHFOR on it. */
  async mayObtainFor(credential: string, principal: string): Promise<{ caller: string; principal: string }> {
    const r = await this.bus.request(authorizeVouchContract, { credential, principal, allowSelf: true });
    return { caller: r.caller, principal: r.principal };
  }

  /**
   * A certificate for `principal` with DNS/IP names: the rule above, then every name outside
   * `reserved` and granted in the tree (`cert-names`). One policy request, one view of the tree.
   */
  async mayObtainCertificateFor(
    credential: string,
    request: { principal: string; dns?: string[]; ip?: string[]; reserved: readonly string[] },
  ): Promise<{ caller: string; principal: string }> {
    const r = await this.bus.request(authorizeCertificateContract, {
      credential,
      principal: request.principal,
      allowSelf: true,
      dns: request.dns ?? [],
      ip: request.ip ?? [],
      reserved: [...request.reserved],
    });
    return { caller: r.caller, principal: r.principal };
  }

  /** Revoking or unpinning: the certificate's principal itself, or anyone with ADMIN on it. */
  async isSubjectOrAdmin(credential: string, principal: string, what: string): Promise<string> {
    const caller = await this.caller(credential);
    if (caller === principal) return caller;
    const r = await this.bus.request(checkContract, { credential, target: principal, ops: ['ADMIN'] });
    if (!r.allowed) throw new PermissionDeniedError(`permission denied: ${what} needs ADMIN on ${principal}`);
    return caller;
  }

  /** ADMIN on every one of `targets` (e.g. the area an external CA may name principals in). */
  async isAdminOfAll(credential: string, targets: readonly string[], what: string): Promise<string> {
    const caller = await this.caller(credential);
    for (const target of targets) {
      const r = await this.bus.request(checkContract, { credential, target, ops: ['ADMIN'] });
      if (!r.allowed) throw new PermissionDeniedError(`permission denied: ${what} needs ADMIN on ${target}`);
    }
    return caller;
  }

  /** Whether the caller may View `path` (false for invisible or missing). */
  async mayView(credential: string, path: string): Promise<boolean> {
    try {
      return (await this.bus.request(checkContract, { credential, target: path, ops: ['VIEW'] })).allowed;
    } catch (err) {
      if ((err as { code?: string }).code === 'not-found') return false;
      throw err;
    }
  }

  async caller(credential: string): Promise<string> {
    return (await this.bus.request(resolveCallerContract, { credential })).principal;
  }
}
