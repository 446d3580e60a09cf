import { authorizeCertificateContract, authorizeDatasetCredentialContract, authorizeVouchContract, delegationTargetContract, handler, resolveCallerContract, sshLoginKeysContract, type BusHandler } from '@am/bus';
import type { CallerResolver } from '@am/auth';
import { unwrap } from '@am/engine';
import { operationName, parsePath } from '@am/model';
import type { MetadataService } from '../metadata/metadata-service';

export interface IdentityDecisionSettings {
  requireNativeLogin: boolean;
}

/** Decisions the identity and pki services ask for: who a credential is, who may vouch, certificate names, ssh keys. */
export function identityHandlers(svc: MetadataService, resolver: CallerResolver, settings: IdentityDecisionSettings): BusHandler[] {
  return [
    handler(resolveCallerContract, async ({ credential, accept, atLeast }) => {
      const view = await svc.view(atLeast);
      const { principal, via } = await resolver.resolveLatest(credential, svc.clock(), accept);
      return { revision: view.revision, principal, via };
    }),
    handler(authorizeVouchContract, async ({ credential, atLeast, principal, allowSelf }) => {
      const view = await svc.view(atLeast);
      const caller = await svc.caller(credential);
      if (allowSelf && safePath(principal) === caller) return { revision: view.revision, caller, principal: caller };
      return { revision: view.revision, caller, principal: unwrap(view.engine.authorizeVouch(caller, principal, svc.clock())) };
    }),
    handler(authorizeCertificateContract, async ({ credential, atLeast, ...request }) => {
      const view = await svc.view(atLeast);
      const caller = await svc.caller(credential);
      return { revision: view.revision, caller, principal: unwrap(view.engine.authorizeCertificate(caller, request, svc.clock())) };
    }),
    handler(authorizeDatasetCredentialContract, async ({ credential, atLeast, dataset, operations, useRoles }) => {
      const view = await svc.view(atLeast);
      const caller = await svc.caller(credential);
      const now = svc.clock(); // one instant for both parts of the decision
      const plan = unwrap(view.engine.authorizeDatasetCredential(caller, dataset, operations, now));
      if (useRoles.length > 0) unwrap(view.engine.authorizeRoleUse(caller, useRoles, now));
      return {
        revision: view.revision,
        caller,
        plan: plan.kind === 'delegation' ? { ...plan, roles: [...plan.roles] } : { ...plan, operations: plan.operations.map(operationName) },
      };
    }),
    handler(delegationTargetContract, async ({ credential, atLeast, target }) => {
      const view = await svc.view(atLeast);
      const principal = await svc.caller(credential);
      return { revision: view.revision, principal, satisfied: unwrap(view.engine.satisfiesDelegationAce(principal, target, svc.clock())) };
    }),
    handler(sshLoginKeysContract, async ({ principal, atLeast }) => {
      const view = await svc.view(atLeast);
      return { revision: view.revision, keys: unwrap(view.engine.sshLoginKeys(principal, settings, svc.clock())) };
    }),
  ];
}

function safePath(path: string): string | undefined {
  try {
    return parsePath(path);
  } catch {
    return undefined;
  }
}
