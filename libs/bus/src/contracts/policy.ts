import { aceJsonSchema, appliedRoleJsonSchema, delegationAceJsonSchema, OPERATION_NAMES, textAnnotationJsonSchema } from '@am/model';
import { z } from 'zod';
import { batchable, contract, streamed } from './core';

/**
 * The policy service's subjects: every metadata command and query. Each request names the
 * caller's credential (a JWT, or a principal path where demonstration identities are allowed), so
 * the service verifies it where it is used; each reply names the store revision it reflects
 * (a write: the revision it committed), which later requests may pass as `atLeast`.
 */

/** A path as sent by a client; the service parses and normalises it (access-model §1.1). */
const Path = z.string().min(1).max(4096);
export const Credential = z.string().min(1).max(8192);
const Revision = z.number().int().nonnegative();
const OperationName = z.enum(OPERATION_NAMES.slice(1) as [string, ...string[]]);
/** Operations by name (any case) or number, as the compat API accepts them. */
const OperationInput = z.union([z.string().max(16), z.number().int()]);

/** Read-your-writes: answer from state at least this new (bounded wait, else unavailable). */
const Consistency = { atLeast: Revision.optional() };
/** Time travel: answer from the tree as it was at a past revision or instant. */
export const AsOf = z.strictObject({ revision: Revision.optional(), time: z.iso.datetime({ offset: true }).optional() }).refine((a) => (a.revision === undefined) !== (a.time === undefined), {
  message: 'give exactly one of revision or time',
});
const Caller = { credential: Credential, ...Consistency };

const AnnotationInput = z.union([aceJsonSchema, appliedRoleJsonSchema, textAnnotationJsonSchema]);
const Written = z.strictObject({ revision: Revision });

// ---- views --------------------------------------------------------------------------------------

const Header = { tag: z.string(), unique: z.string(), version: z.string(), startMillis: z.string(), endMillis: z.string() };
export const AppliedRoleView = z.object({ ...Header, role: z.string() });
export const AceView = z.object({ ...Header, op: OperationName, local: z.boolean(), agent: z.boolean(), acls: z.array(z.object({ roles: z.array(z.string()) })) });
export const UserAnnotationView = z.object({ ...Header, data: z.string() });
export const NodeDetailsView = z.object({
  path: z.string(),
  roles: z.array(AppliedRoleView),
  inheritedRoles: z.array(AppliedRoleView),
  aces: z.array(AceView),
  inheritedAces: z.array(AceView),
  annotations: z.array(UserAnnotationView),
  isDirectory: z.boolean(),
});
/** An annotation as stored and exported (universe-format §8: int64 as strings, op by name). */
export const StoredAnnotation = z.object({
  tag: z.string(),
  unique: z.string(),
  version: z.string(),
  startMillis: z.string(),
  endMillis: z.string(),
  op: z.string().optional(),
  local: z.boolean().optional(),
  agent: z.boolean().optional(),
  acls: z.array(z.object({ roles: z.array(z.string()) })).optional(),
  role: z.string().optional(),
  data: z.string().optional(),
});

const AclExplanation = z.object({ roles: z.array(z.string()), satisfied: z.boolean(), satisfiedBy: z.string().nullable() });
const AceExplanation = z.object({
  side: z.enum(['target', 'agent']),
  attachment: z.enum(['direct', 'inherited']),
  attachedAt: z.string(),
  unique: z.string(),
  local: z.boolean(),
  satisfied: z.boolean(),
  acls: z.array(AclExplanation),
});
export const ExplanationView = z.object({
  agent: z.string(),
  target: z.string(),
  allowed: z.boolean(),
  operations: z.array(z.object({ op: OperationName, allowed: z.boolean(), byDefault: z.string().nullable(), aces: z.array(AceExplanation) })),
});

export const MetaEventView = z.object({
  seq: z.number().int(),
  time: z.string(),
  actor: z.string(),
  kind: z.enum(['boot', 'import', 'create-node', 'delete-node', 'put-annotation', 'delete-annotation']),
  path: z.string(),
  before: StoredAnnotation.nullable().optional(),
  after: StoredAnnotation.nullable().optional(),
  removed: z.array(z.string()).optional(),
  annotations: z.array(StoredAnnotation).optional(),
  nodes: z.number().int().optional(),
});

// ---- commands -----------------------------------------------------------------------------------

export const createNodeContract = contract(
  'am.policy.node.create',
  z.strictObject({ ...Caller, path: Path, directory: z.boolean().default(false) }),
  z.strictObject({ revision: Revision, path: z.string() }),
);

export const deleteNodeContract = contract(
  'am.policy.node.delete',
  z.strictObject({ ...Caller, path: Path, recursive: z.boolean().default(false) }),
  z.strictObject({ revision: Revision, removed: z.array(z.string()) }),
);

/** Add (unique absent or 0) or replace (unique + version: 0 create-only, -1 unconditional, n compare-and-set). */
export const annotateContract = contract(
  'am.policy.annotation.put',
  z.strictObject({ ...Caller, path: Path, annotation: AnnotationInput, force: z.boolean().default(false) }),
  z.strictObject({ revision: Revision, annotation: StoredAnnotation }),
);

export const deleteAnnotationContract = contract(
  'am.policy.annotation.delete',
  z.strictObject({ ...Caller, path: Path, tag: z.string().min(1).max(256), unique: z.string().regex(/^-?\d{1,20}$/), expectedVersion: z.number().int().optional() }),
  Written,
);

// ---- queries ------------------------------------------------------------------------------------

/**
 * A page of a sorted list of paths (children, who-can, what-can): at most `limit`, those after
 * `after`, read at `revision` (the first page's: later pages see the tree as the first did, so
 * nothing is listed twice or skipped).
 */
const ListPage = z.strictObject({ limit: z.number().int().min(1).max(10_000), after: Path.optional(), revision: Revision.optional() });
/** Where the next page of a list starts, when there is one. */
const ListMore = z.strictObject({ revision: Revision, after: z.string() }).optional();

export const detailsContract = contract(
  'am.policy.node.details',
  z.strictObject({ ...Caller, path: Path, includeChildren: z.boolean().default(false), asOf: AsOf.optional(), page: ListPage.optional() }),
  z.strictObject({
    revision: Revision,
    details: NodeDetailsView,
    children: z.array(z.string()),
    /** With `page`: where the next page starts, when there is one. */
    more: ListMore,
  }),
);

export const listChildrenContract = contract(
  'am.policy.node.children',
  z.strictObject({ ...Caller, path: Path }),
  z.strictObject({ revision: Revision, children: z.array(z.string()) }),
);

export const checkContract = contract(
  'am.policy.check',
  z.strictObject({
    ...Caller,
    target: Path,
    ops: z.array(OperationInput).min(1).max(16),
    /** Ask about another principal (the asker must be able to View both). */
    agent: Path.optional(),
    explain: z.boolean().default(false),
    asOf: AsOf.optional(),
  }),
  z.strictObject({ revision: Revision, allowed: z.boolean(), agent: z.string(), explanation: ExplanationView.optional() }),
);

export const whoCanContract = contract(
  'am.policy.who-can',
  z.strictObject({ ...Caller, target: Path, op: OperationInput, under: Path.default('am://'), page: ListPage.optional() }),
  z.strictObject({ revision: Revision, principals: z.array(z.string()), more: ListMore }),
);

export const whatCanContract = contract(
  'am.policy.what-can',
  z.strictObject({ ...Caller, principal: Path, op: OperationInput, under: Path.default('am://'), page: ListPage.optional() }),
  z.strictObject({ revision: Revision, paths: z.array(z.string()), more: ListMore }),
);

/** A subtree where an operation is open to every principal because no ACE of it applies (the default-open report). */
export const OpenRegionView = z.object({
  path: z.string(),
  operation: z.enum(['ADMIN', 'WRITE', 'APPLYROLE']),
  /** Nodes of the region where the operation gives something away (that the caller can see). */
  nodes: z.number().int().positive(),
});
/** Where the next page starts: the last region of this one. */
const OpenRegionCursor = z.strictObject({ path: Path, operation: z.enum(['ADMIN', 'WRITE', 'APPLYROLE']) });

export const defaultOpenContract = contract(
  'am.policy.analysis.default-open',
  z.strictObject({ ...Caller, under: Path.default('am://'), after: OpenRegionCursor.optional(), limit: z.number().int().min(1).max(1000).default(100) }),
  z.strictObject({ revision: Revision, regions: z.array(OpenRegionView), more: z.boolean() }),
);

export const historyContract = contract(
  'am.policy.history',
  z.strictObject({
    ...Caller,
    path: Path,
    subtree: z.boolean().default(false),
    since: Revision.optional(),
    limit: z.number().int().min(1).max(10_000).default(1000),
    /** A later page: the events after `after`, up to `revision` (the first page's). */
    page: z.strictObject({ after: Revision, revision: Revision }).optional(),
  }),
  /** The first `limit` events shown, oldest first; `more` when others follow up to the first page's revision. */
  z.strictObject({ revision: Revision, events: z.array(MetaEventView), more: z.strictObject({ revision: Revision, after: Revision }).optional() }),
);

// ---- universes ----------------------------------------------------------------------------------

/** Boot (empty store), replace (`force`) or import a universe; the last two need Admin on am:// (an import's changes also the normal permissions). */
export const loadUniverseContract = contract(
  'am.policy.universe.load',
  z.strictObject({
    credential: Credential.optional(),
    /** A bundled universe name or the universe JSON text. */
    universe: z.strictObject({ name: z.string().max(64) }).or(z.strictObject({ text: z.string() })),
    /** The ssh public key to put on am://user/the-operator (compat /bootstrap). */
    operatorKey: z.string().max(16_384).optional(),
    force: z.boolean().default(false),
    /** Whether the front door lets this request boot an empty store (it presented the deployment's bootstrap token). */
    bootAllowed: z.boolean().default(false),
  }),
  z.strictObject({
    revision: Revision,
    mode: z.enum(['boot', 'import']),
    nodes: z.number().int(),
    warnings: z.array(z.string()),
    /** The default-open report of the tree now (as the caller sees it; a boot: the whole tree): how many, and the first few. */
    defaultOpen: z.strictObject({ count: z.number().int().nonnegative(), first: z.array(OpenRegionView) }).optional(),
  }),
);

/** The export: the revision it reflects, then the universe file itself, streamed (any size). */
export const exportUniverseContract = streamed(
  contract('am.policy.universe.export', z.strictObject({ ...Caller, path: Path.default('am://'), asOf: AsOf.optional() }), z.strictObject({ revision: Revision })),
);

// ---- identity decisions (asked by identity, pki and the gateway) --------------------------------

export const resolveCallerContract = contract(
  'am.policy.caller.resolve',
  z.strictObject({ credential: Credential, accept: z.enum(['login', 'delegation', 'any']).default('login'), ...Consistency }),
  z.strictObject({ revision: Revision, principal: z.string(), via: z.enum(['credential', 'certificate', 'demo-identity']) }),
);

/**
 * May the caller obtain a credential (or certificate) for `principal`: View + VOUCHFOR, or itself
 * when `allowSelf`. Batchable: identity sends the vouches it receives together in batches.
 */
export const authorizeVouchContract = batchable(
  contract(
    'am.policy.vouch.authorize',
    z.strictObject({ ...Caller, principal: Path, allowSelf: z.boolean().default(false) }),
    z.strictObject({ revision: Revision, caller: z.string(), principal: z.string() }),
  ),
);

/**
 * May the caller obtain a certificate for `principal` with these DNS names / IP addresses? The vouch
 * rule (itself when `allowSelf`, else View + VOUCHFOR), then each name must be outside `reserved`
 * (the issuer's own names, in the `cert-names` syntax) and granted by an active `cert-names`
 * annotation on the principal or above it. Permission-denied names the first name refused.
 */
export const authorizeCertificateContract = contract(
  'am.policy.certificate.authorize',
  z.strictObject({
    ...Caller,
    principal: Path,
    allowSelf: z.boolean().default(true),
    dns: z.array(z.string().max(253)).max(100).default([]),
    ip: z.array(z.string().max(64)).max(100).default([]),
    reserved: z.array(z.string().max(300)).max(1000).default([]),
  }),
  z.strictObject({ revision: Revision, caller: z.string(), principal: z.string() }),
);

/**
 * May the caller obtain a credential for `dataset` (access-model §10), and — for a delegation
 * credential with target or heritable ACEs — use the roles those ACEs name (`useRoles`: View +
 * USEROLE on each, as for an ACE on the tree)? One decision on one view of the tree.
 */
export const authorizeDatasetCredentialContract = contract(
  'am.policy.dataset-credential.authorize',
  z.strictObject({
    ...Caller,
    dataset: Path,
    operations: z.array(OperationInput).max(16).default([]),
    useRoles: z.array(Path).max(256).default([]),
  }),
  z.strictObject({
    revision: Revision,
    caller: z.string(),
    plan: z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('delegation'), dataset: z.string(), roles: z.array(z.string()) }),
      z.strictObject({ kind: z.literal('provider'), dataset: z.string(), providerPath: z.string(), provider: z.string(), operations: z.array(OperationName) }),
    ]),
  }),
);

/**
 * The caller presents a delegation credential's target ACE: do the caller's effective roles
 * satisfy it? (The caller is a consumer — a database, a file system — checking that a delegation
 * credential handed to it is meant for it; it learns nothing about anyone's roles but its own.)
 */
export const delegationTargetContract = contract(
  'am.policy.delegation.target',
  z.strictObject({ ...Caller, target: delegationAceJsonSchema }),
  z.strictObject({ revision: Revision, principal: z.string(), satisfied: z.boolean() }),
);

/** The ssh endpoint: the authorized keys a login as `principal` may present (access-model §8.6). */
export const sshLoginKeysContract = contract(
  'am.policy.ssh.login-keys',
  z.strictObject({ principal: Path, ...Consistency }),
  z.strictObject({ revision: Revision, keys: z.array(z.string()) }),
);

/** Published on `am.events.metadata.<kind>` after each commit. */
export const METADATA_EVENTS_SUBJECT = 'am.events.metadata';
