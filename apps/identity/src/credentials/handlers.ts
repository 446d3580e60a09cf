import {
  authorizeDatasetCredentialContract,
  authorizeVouchContract,
  createDelegationContract,
  datasetCredentialContract,
  extendDelegationContract,
  handler,
  jwksContract,
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
import { FailedPreconditionError, PermissionDeniedError, UnauthenticatedError } from '@am/model';
import type { SigningKeyStore } from '../keys/signing-key-store';
import { matchesAnyPattern, validateFilter } from './attribute-filter';
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

  /** Local check of a JWT caller credential (policy checks it again, and decides). */
  const precheckCaller = (credential: string) => {
    if (!JWT_SHAPE.test(credential.trim())) return;
    try {
      cache.verify(credential.trim(), { keys: deps.keys, now: nowSec(), accept: 'login' });
    } catch (err) {
      if (err instanceof InvalidCredentialError) throw new UnauthenticatedError(err.message);
      throw err;
    }
  };

  const verifyDelegation = (token: string): CredentialClaims => {
    try {
      return verifyCredential(token, { keys: deps.keys, now: nowSec(), accept: 'delegation' }).claims;
    } catch (err) {
      if (err instanceof InvalidCredentialError) throw new UnauthenticatedError(`delegation credential: ${err.message}`);
      throw err;
    }
  };

  const delegationPlan = async (credential: string, dataset: string): Promise<DatasetPlan & { plan: { kind: 'delegation' } }> => {
    precheckCaller(credential);
    const decided = await deps.bus.request(authorizeDatasetCredentialContract, { credential, dataset, operations: [] });
    if (decided.plan.kind !== 'delegation') throw new FailedPreconditionError(`${decided.plan.dataset} delegates no attributes; ask for a dataset credential instead`);
    return decided as DatasetPlan & { plan: { kind: 'delegation' } };
  };

  const issueDelegation = async (caller: string, dataset: string, roles: string[], revision: number) => {
    const issued = await deps.issuer.issue({
      principal: caller,
      kind: 'delegation',
      roles,
      lifetimeSec: deps.lifetimes.delegationSec,
      via: 'delegation',
      actor: caller,
      dataset,
    });
    return { credential: issued.credential, principal: caller, dataset, roles, expiresAt: issued.expiresAt, revision };
  };

  return [
    handler(vouchContract, async ({ credential, principal }) => {
      precheckCaller(credential);
      const decided = await deps.bus.request(authorizeVouchContract, { credential, principal });
      const issued = await deps.issuer.issue({
        principal: decided.principal,
        kind: 'login',
        lifetimeSec: deps.lifetimes.vouchSec,
        via: 'vouch',
        actor: decided.caller,
      });
      return { credential: issued.credential, principal: issued.principal, expiresAt: issued.expiresAt, revision: decided.revision };
    }),

    handler(validateCredentialContract, ({ credential, accept }) => validate(credential, accept, deps.keys, nowSec())),

    handler(signingKeysContract, () => ({ keys: publicKeysMap(deps.keys.all()) })),

    handler(jwksContract, () => jwks(deps.keys.all())),

    handler(datasetCredentialContract, async ({ credential, dataset, operations }) => {
      precheckCaller(credential);
      const decided = await deps.bus.request(authorizeDatasetCredentialContract, { credential, dataset, operations });
      const { plan } = decided;
      if (plan.kind === 'provider') {
        // access-model §10.2: no fake credential; factories are not built yet.
        throw new FailedPreconditionError('credential factory unavailable');
      }
      const issued = await issueDelegation(decided.caller, plan.dataset, plan.roles, decided.revision);
      const info = `delegation credential for ${decided.caller} on ${plan.dataset}: roles [${plan.roles.join(' ')}], valid until ${new Date(issued.expiresAt * 1000).toISOString()}`;
      return { url: '', info, credential: issued.credential, expiresAt: issued.expiresAt, revision: decided.revision };
    }),

    handler(createDelegationContract, async ({ credential, dataset, attributes }) => {
      if (attributes) validateFilter(attributes);
      const decided = await delegationPlan(credential, dataset);
      const roles = attributes ? decided.plan.roles.filter((r) => matchesAnyPattern(r, attributes)) : decided.plan.roles;
      return issueDelegation(decided.caller, decided.plan.dataset, roles, decided.revision);
    }),

    handler(extendDelegationContract, async ({ credential, delegation, dataset, attributes }) => {
      if (attributes) validateFilter(attributes);
      const old = verifyDelegation(delegation);
      const decided = await delegationPlan(credential, dataset);
      if (old.id !== decided.caller) throw new PermissionDeniedError('permission denied: a delegation credential can only be extended by the principal it names');
      const held = new Set(old.roles ?? []);
      const roles = decided.plan.roles.filter((r) => held.has(r) && (!attributes || matchesAnyPattern(r, attributes)));
      return issueDelegation(decided.caller, decided.plan.dataset, roles, decided.revision);
    }),
  ];
}

/** compat-rest §4.9: `valid`, the claims as `info`, and the reason in `message`. Never throws for a bad token. */
export function validate(credential: string, accept: AcceptedKind, keys: SigningKeyStore, now: number) {
  try {
    const { claims, kind } = verifyCredential(credential, { keys, now, accept });
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
