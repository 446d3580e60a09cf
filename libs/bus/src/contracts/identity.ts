import { delegationAceJsonSchema } from '@am/model';
import { z } from 'zod';
import { contract } from './core';

/**
 * The identity service's subjects (am.identity.*): credential issuance, validation and the public
 * signing keys. Every issuing request carries the caller's own credential; identity has the policy
 * service decide (View + VOUCHFOR, dataset permissions) and signs only what policy allowed.
 *
 * `am.identity.vouch` is the one subject identity plugins may publish to (their NATS user allows
 * nothing else); every other subject here is for the gateway and the services.
 */

const Credential = z.string().min(1).max(8192);
const Path = z.string().min(1).max(4096);
const Revision = z.number().int().nonnegative();
const OperationInput = z.union([z.string().max(16), z.number().int()]);
/** Globs over role paths: `*` matches within one path segment, `**` across segments. */
const AttributeFilter = z.array(z.string().min(1).max(1024)).max(64);

/** An issued credential: the JWT and when it stops being valid (Unix seconds). */
export const IssuedCredential = z.strictObject({
  credential: z.string(),
  principal: z.string(),
  expiresAt: z.number().int(),
  /** The policy store revision the decision reflected. */
  revision: Revision,
});
export type IssuedCredential = z.infer<typeof IssuedCredential>;

/** Identity plugins: a login credential for `principal`, if the plugin (caller) has View + VOUCHFOR on it. */
export const vouchContract = contract('am.identity.vouch', z.strictObject({ credential: Credential, principal: Path }), IssuedCredential);

export const VOUCH_SUBJECT = vouchContract.subject;
/**
 * A plugin's NATS user name: one subject token, since its reply inbox is `_INBOX.plugin.<user>`
 * (a name with a dot would put its inbox inside another plugin's).
 */
export const PLUGIN_USER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Claims of a credential as the validate endpoints show them (access-model §8.3). */
export const CredentialClaimsView = z.object({
  iss: z.string(),
  sub: z.string(),
  aud: z.array(z.string()),
  exp: z.number(),
  nbf: z.number(),
  iat: z.number(),
  key: z.number(),
  id: z.string(),
  roles: z.array(z.string()).nullable(),
  typ: z.enum(['login', 'delegation']).optional(),
  jti: z.string().optional(),
  dataset: z.string().optional(),
  target_ace: delegationAceJsonSchema.optional(),
  heritable_ace: delegationAceJsonSchema.optional(),
});

/**
 * Compat `/validate` (compat-rest §4.9) and `POST /v1/credentials/validate`: signature, key, times,
 * issuer and audience. Never an error for a bad credential: `valid: false` with the reason.
 * `accept` narrows the kind (default any: a delegation credential validates and shows its roles).
 */
export const validateCredentialContract = contract(
  'am.identity.credential.validate',
  z.strictObject({
    credential: z.string().max(65_536),
    accept: z.enum(['login', 'delegation', 'any']).default('any'),
    /**
     * The credential of whoever the delegation credential was presented to (a consumer asking
     * "is this meant for me?"): it must be a delegation credential whose target ACE the
     * presenter's roles satisfy, else `valid: false`. A bad presenter credential is an error.
     */
    presenter: Credential.optional(),
  }),
  z.strictObject({
    valid: z.boolean(),
    /** The claims as indented JSON text (the compat `info`); "" when invalid. */
    info: z.string(),
    message: z.string(),
    claims: CredentialClaimsView.optional(),
    kind: z.enum(['login', 'delegation']).optional(),
    /** With `presenter`: who presented it, and whether their roles satisfy the target ACE. */
    target: z.strictObject({ principal: z.string(), satisfied: z.boolean() }).optional(),
  }),
);

/** Compat `/signingkeys` (§4.10): key id (expiry, decimal) → SPKI PEM, every published key. */
export const signingKeysContract = contract('am.identity.signing-keys', z.strictObject({}), z.strictObject({ keys: z.record(z.string(), z.string()) }));

export const Jwk = z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), kid: z.string(), alg: z.literal('ES256'), use: z.literal('sig') });

/** `GET /.well-known/jwks.json`. */
export const jwksContract = contract('am.identity.jwks', z.strictObject({}), z.strictObject({ keys: z.array(Jwk) }));

/**
 * Compat `/datasetcredential` (§4.8) and `am delegate`: for a delegating dataset a delegation
 * credential for the caller (access-model §10.3); for a provider dataset the credential factory's
 * answer (failed-precondition "credential factory unavailable" until factories exist).
 */
export const datasetCredentialContract = contract(
  'am.identity.dataset-credential',
  z.strictObject({ credential: Credential, dataset: Path, operations: z.array(OperationInput).max(16).default([]) }),
  z.strictObject({ url: z.string(), info: z.string(), credential: z.string(), expiresAt: z.number().int(), revision: Revision }),
);

/** An issued delegation credential (also the v1 REST answer). */
export const DelegationReply = z.strictObject({
  credential: z.string(),
  principal: z.string(),
  dataset: z.string(),
  roles: z.array(z.string()),
  targetAce: delegationAceJsonSchema,
  heritableAce: delegationAceJsonSchema,
  expiresAt: z.number().int(),
  revision: Revision,
});

/** Optional ACEs of a delegation request (access-model-decisions.md, "Delegation credentials"). */
const DelegationAces = { targetAce: delegationAceJsonSchema.optional(), heritableAce: delegationAceJsonSchema.optional() };

/**
 * `POST /v1/credentials/delegation`: a delegation credential for the caller on a delegating
 * dataset, its roles optionally narrowed by an attribute filter (globs over role paths), with an
 * optional target ACE (who may present it) and heritable ACE (kept by every extension; it applies
 * to this credential too). Roles named in the ACEs need View + USEROLE.
 */
export const createDelegationContract = contract(
  'am.identity.delegation.create',
  z.strictObject({ credential: Credential, dataset: Path, attributes: AttributeFilter.optional(), ...DelegationAces }),
  DelegationReply,
);

/**
 * Extend a delegation credential: a fresh lifetime, the dataset decision made again. Roles are
 * those still delegated ∩ the old credential's roles ∩ the optional filter; the heritable ACE is
 * the old one plus any given; the target ACE is the one given (or the old one) plus the heritable
 * ACE. So an extension may be re-targeted, but never beyond what the heritable ACE demands, and
 * its roles never widen. Only the principal the delegation names may extend it, on its dataset.
 */
export const extendDelegationContract = contract(
  'am.identity.delegation.extend',
  z.strictObject({ credential: Credential, delegation: Credential, dataset: Path, attributes: AttributeFilter.optional(), ...DelegationAces }),
  DelegationReply,
);

/**
 * Published on `am.events.identity.<kind>` (never a token), each after its commit: a signing-key
 * event alone; `credential-issued` events as the array their etcd record holds (the issues of a
 * few milliseconds, written behind the answers; see apps/identity).
 */
export const IDENTITY_EVENTS_SUBJECT = 'am.events.identity';
export const IdentityEventKind = z.enum(['signing-key-created', 'signing-key-retired', 'credential-issued']);
export const IdentityEvent = z.object({
  kind: IdentityEventKind,
  time: z.string(),
  /** Signing key events. */
  kid: z.string().optional(),
  /** Credential events: who got a credential, how, on whose word, until when. */
  principal: z.string().optional(),
  via: z.enum(['ssh', 'vouch', 'delegation']).optional(),
  actor: z.string().optional(),
  jti: z.string().optional(),
  expiresAt: z.number().int().optional(),
  roles: z.array(z.string()).optional(),
  dataset: z.string().optional(),
});
export type IdentityEvent = z.infer<typeof IdentityEvent>;

/** The data of an `am.events.identity.credential-issued` message: the events of one etcd record, in order. */
export const CredentialIssuedRecord = z.array(IdentityEvent);
