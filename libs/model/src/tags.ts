/** Annotation tags (access-model §2.2). */
import { InvalidArgumentError } from './errors';

export const TAG_PATTERN = /^[a-z][a-z0-9-]*$/;
export const MAX_TAG_LENGTH = 64;

export const Tag = {
  DIR: 'dir',
  LEAF: 'leaf',
  ACE: 'ace',
  APPLIED_ROLE: 'applied-role',
  SSH_PUBKEY: 'ssh-pubkey',
  SSH_PUBLIC_KEY: 'ssh-public-key',
  DATA_INFO: 'data-info',
  DATA_CREDENTIAL_PROVIDER: 'data-credential-provider',
  /** DNS names / IPs the workloads at or under the node may have in server certificates (inherited). */
  CERT_NAMES: 'cert-names',
  PRINCIPAL_MARKER: 'principal',
  ROLE_MARKER: 'role',
  DATA_MARKER: 'data',
} as const;

/** Created only by create/make-directory/import, removed only with the node. */
export const STRUCTURAL_TAGS: ReadonlySet<string> = new Set([Tag.DIR, Tag.LEAF]);
/** Markers that make a node a leaf when a universe file is loaded (universe-format §3). */
export const LEAF_MARKER_TAGS: ReadonlySet<string> = new Set([Tag.LEAF, Tag.PRINCIPAL_MARKER, Tag.ROLE_MARKER, Tag.DATA_MARKER]);
/** `ssh-pubkey` is canonical, `ssh-public-key` an accepted alias (G16). */
export const SSH_KEY_TAGS: ReadonlySet<string> = new Set([Tag.SSH_PUBKEY, Tag.SSH_PUBLIC_KEY]);
/** Tags never listed among a node's user annotations in details. */
export const NON_USER_TAGS: ReadonlySet<string> = new Set([Tag.DIR, Tag.LEAF, Tag.ACE, Tag.APPLIED_ROLE]);

export function isValidTag(tag: string): boolean {
  return typeof tag === 'string' && tag.length <= MAX_TAG_LENGTH && TAG_PATTERN.test(tag);
}

export function parseTag(tag: unknown): string {
  if (typeof tag !== 'string' || !isValidTag(tag)) {
    throw new InvalidArgumentError(`invalid tag ${JSON.stringify(tag)}: expected [a-z][a-z0-9-]* of at most ${MAX_TAG_LENGTH} characters`);
  }
  return tag;
}

export function isStructuralTag(tag: string): boolean {
  return STRUCTURAL_TAGS.has(tag);
}
