import { verifyWithCatchUp } from '@am/auth';
import {
  authorizeDatasetCredentialContract,
  authorizeVouchContract,
  createDelegationContract,
  datasetCredentialContract,
  delegationTargetContract,
  extendDelegationContract,
  handler,
  jwksContract,
  RequestBatcher,
  signingKeysContract,
  validateCredentialContract,
  vouchContract,
  type BusClient,
  type BusHandler,
  type ReplyOf,
} from '@am/bus';
import {
  CachingCredentialVerifier,
  credentialInfo,
  InvalidCredentialError,
  jwks,
  publicKeysMap,
  verifyCredential,
  type AcceptedKind,
  type CredentialClaims,
} from '@am/crypto';
import {
  delegationAceRoles,
  FailedPreconditionError,
  InvalidArgumentError,
  mergeDelegationAces,
  normalizeDelegationAce,
  parsePath,
  PermissionDeniedError,
  UnauthenticatedError,
  type DelegationAce,
} from '@am/model';
import type { SigningKeyStore } from '../keys/signing-key-store';
import { compileFilter, filterMatches } from './attribute-filter';
import type { CredentialIssuer } from './issuer';

export interface Lifetimes {
  vouchSec: number;
  delegationSec: number;
}

export interface CredentialHandlerDeps {
  bus: BusClient;
  issuer: CredentialIssuer;
  keys: SigningKeyStore;
  lifetimes: Lifetimes;
  clock?: () => number;
}

/** Three base64url segments: a JWT; anything else is a principal path (a demonstration identity). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

type DatasetPlan = ReplyOf<typeof authorizeDatasetCredentialContract>;

/**
 * The identity service's bus surface. Decisions are the policy service's: every issuing handler
 * has policy authenticate the caller's credential and decide, and signs only what policy allowed
 * (no answer from policy → no credential). JWT callers are also verified here first, against
 * identity's own keys, so forged or replayed-as-login tokens are refused without a round trip.
 */
export function credentialHandlers(deps: CredentialHandlerDeps): BusHandler[] {
  const clock = deps.clock ?? Date.now;
  const nowSec = () => Math.floor(clock() / 1000);
  const cache = new CachingCredentialVerifier();
  // Vouches that arrive together are decided together, in batched requests to policy.
  const vouchDecisions = new RequestBatcher(deps.bus, authorizeVouchContract);

  /** Local check of a JWT caller credential (policy checks it again, and decides). */
  const precheckCaller = async (credential: string) => {
    if (!JWT_SHAPE.test(credential.trim())) return;
    try {
      await verifyWithCatchUp(deps.keys, () => cache.verify(credential.trim(), { keys: deps.keys, now: nowSec(), accept: 'login' }));
    } catch (err) {
      if (err instanceof InvalidCredentialError) throw new UnauthenticatedError(err.message);
      throw err;
    }
  };

  const verifyDelegation = async (token: string): Promise<CredentialClaims> => {
    try {
      return (await verifyWithCatchUp(deps.keys, () => verifyCredential(token, { keys: deps.keys, now: nowSec(), accept: 'delegation' }))).claims;
    } catch (err) {
      if (err instanceof InvalidCredentialError) throw new UnauthenticatedError(`delegation credential: ${err.message}`);
      throw err;
    }
  };

  /** Policy decides the dataset credential and the use of every role the new ACEs name. */
  const delegationPlan = async (credential: string, dataset: string, requested: DelegationAces): Promise<DatasetPlan & { plan: { kind: 'delegation' } }> => {
    await precheckCaller(credential);
    const useRoles = [...new Set([requested.target, requested.heritable].flatMap(delegationAceRoles))];
    const decided = await deps.bus.request(authorizeDatasetCredentialContract, { credential, dataset, operations: [], useRoles });
    if (decided.plan.kind !== 'delegation') throw new FailedPreconditionError(`${decided.plan.dataset} delegates no attributes; ask for a dataset credential instead`);
    return decided as DatasetPlan & { plan: { kind: 'delegation' } };
  };

  const issueDelegation = async (caller: string, dataset: string, roles: string[], aces: DelegationAces, revision: number) => {
    const issued = await deps.issuer.issue({
      principal: caller,
      kind: 'delegation',
      roles,
      lifetimeSec: deps.lifetimes.delegationSec,
      via: 'delegation',
      actor: caller,
      dataset,
      targetAce: aces.target,
      heritableAce: aces.heritable,
    });
    return { credential: issued.credential, principal: caller, dataset, roles, targetAce: aces.target, heritableAce: aces.heritable, expiresAt: issued.expiresAt, revision };
  };

  return [
    handler(vouchContract, async ({ credential, principal }) => {
      await precheckCaller(credential);
      const decided = await vouchDecisions.request({ credential, principal });
      const issued = await deps.issuer.issue({
        principal: decided.principal,
        kind: 'login',
        lifetimeSec: deps.lifetimes.vouchSec,
        via: 'vouch',
        actor: decided.caller,
      });
      return { credential: issued.credential, principal: issued.principal, expiresAt: issued.expiresAt, revision: decided.revision };
    }),

    handler(validateCredentialContract, async ({ credential, accept, presenter }) => {
      const result = await validate(credential, accept, deps.keys, nowSec());
      if (presenter === undefined || !result.valid) return result;
      await precheckCaller(presenter);
      if (result.kind !== 'delegation') return { valid: false, info: '', message: 'only a delegation credential is presented to a consumer' };
      const target = result.claims.target_ace ?? NO_ACE;
      const checked = await deps.bus.request(delegationTargetContract, { credential: presenter, target });
      const answer = { ...result, target: { principal: checked.principal, satisfied: checked.satisfied } };
      if (checked.satisfied) return answer;
      return { ...answer, valid: false, info: '', message: `${checked.principal} does not satisfy the target ACE of this delegation credential` };
    }),

    handler(signingKeysContract, () => ({ keys: publicKeysMap(deps.keys.all()) })),

    handler(jwksContract, () => jwks(deps.keys.all())),

    handler(datasetCredentialContract, async ({ credential, dataset, operations }) => {
      await precheckCaller(credential);
      const decided = await deps.bus.request(authorizeDatasetCredentialContract, { credential, dataset, operations });
      const { plan } = decided;
      if (plan.kind === 'provider') {
        // access-model §10.2: no fake credential; factories are not built yet.
        throw new FailedPreconditionError('credential factory unavailable');
      }
      const issued = await issueDelegation(decided.caller, plan.dataset, plan.roles, NO_ACES, decided.revision);
      const info = `delegation credential for ${decided.caller} on ${plan.dataset}: roles [${plan.roles.join(' ')}], valid until ${new Date(issued.expiresAt * 1000).toISOString()}`;
      return { url: '', info, credential: issued.credential, expiresAt: issued.expiresAt, revision: decided.revision };
    }),

    handler(createDelegationContract, async ({ credential, dataset, attributes, targetAce, heritableAce }) => {
      const filter = attributes && compileFilter(attributes);
      const requested = requestedAces(targetAce, heritableAce);
      const decided = await delegationPlan(credential, dataset, requested);
      const roles = filter ? decided.plan.roles.filter((r) => filterMatches(filter, r)) : decided.plan.roles;
      // The heritable ACE binds this credential too: it is the floor of every target from here on.
      const aces = { heritable: requested.heritable, target: mergeDelegationAces(requested.target, requested.heritable) };
      return issueDelegation(decided.caller, decided.plan.dataset, roles, aces, decided.revision);
    }),

    handler(extendDelegationContract, async ({ credential, delegation, dataset, attributes, targetAce, heritableAce }) => {
      const filter = attributes && compileFilter(attributes);
      const requested = requestedAces(targetAce, heritableAce);
      const old = await verifyDelegation(delegation);
      if (old.dataset !== undefined && old.dataset !== parsePath(dataset)) {
        throw new InvalidArgumentError(`the delegation credential was issued for ${old.dataset}, not ${dataset}`);
      }
      const decided = await delegationPlan(credential, dataset, requested);
      if (old.id !== decided.caller) throw new PermissionDeniedError('permission denied: a delegation credential can only be extended by the principal it names');
      const held = new Set(old.roles ?? []);
      const roles = decided.plan.roles.filter((r) => held.has(r) && (!filter || filterMatches(filter, r)));
      const heritable = mergeDelegationAces(old.heritable_ace ?? NO_ACE, requested.heritable);
      const target = mergeDelegationAces(targetAce ? requested.target : (old.target_ace ?? NO_ACE), heritable);
      return issueDelegation(decided.caller, decided.plan.dataset, roles, { target, heritable }, decided.revision);
    }),
  ];
}

interface DelegationAces {
  target: DelegationAce;
  heritable: DelegationAce;
}

const NO_ACE: DelegationAce = { acls: [] };
const NO_ACES: DelegationAces = { target: NO_ACE, heritable: NO_ACE };

function requestedAces(target: DelegationAce | undefined, heritable: DelegationAce | undefined): DelegationAces {
  return {
    target: normalizeDelegationAce(target ?? NO_ACE, 'targetAce'),
    heritable: normalizeDelegationAce(heritable ?? NO_ACE, 'heritableAce'),
  };
}

/** compat-rest §4.9: `valid`, the claims as `info`, and the reason in `message`. Never throws for a bad token. */
export async function validate(credential: string, accept: AcceptedKind, keys: SigningKeyStore, now: number) {
  try {
    const { claims, kind } = await verifyWithCatchUp(keys, () => verifyCredential(credential, { keys, now, accept }));
    return { valid: true, info: credentialInfo(claims), message: 'credential is valid', claims, kind };
  } catch (err) {
    if (err instanceof InvalidCredentialError) {
      // Plain principal paths are not credentials here (§4.9).
      const message = err.reason === 'malformed' && credential.trim().startsWith('am://') ? 'invalid credential' : err.message;
      return { valid: false, info: '', message };
    }
    throw err;
  }
}
