/** Write requests the engine authorizes, and the exact changes it approves for the store to commit. */
import { Annotation } from '@am/model';

export interface CreateNodeRequest {
  readonly kind: 'create-node';
  readonly path: string;
  readonly directory: boolean;
}

export interface DeleteNodeRequest {
  readonly kind: 'delete-node';
  readonly path: string;
  readonly recursive?: boolean;
}

/** `annotation.unique` 0n asks for a new unique; `annotation.version` is the requested version (§2.4). */
export interface PutAnnotationRequest {
  readonly kind: 'put-annotation';
  readonly path: string;
  readonly annotation: Annotation;
  /** Skip the self-lockout guard (G31). */
  readonly force?: boolean;
}

export interface DeleteAnnotationRequest {
  readonly kind: 'delete-annotation';
  readonly path: string;
  readonly tag: string;
  readonly unique: bigint;
  readonly expectedVersion?: number;
}

export type ChangeRequest = CreateNodeRequest | DeleteNodeRequest | PutAnnotationRequest | DeleteAnnotationRequest;

/** What to commit, fully resolved (uniques assigned, versions computed, subtrees listed). */
export type ApprovedChange =
  | { readonly kind: 'create-node'; readonly path: string; readonly annotations: readonly Annotation[] }
  /** `removed`: every node that goes, deepest first; `visibleRemoved`: those the deciding caller can see (all it may be told). */
  | { readonly kind: 'delete-node'; readonly path: string; readonly removed: readonly string[]; readonly visibleRemoved: readonly string[] }
  | { readonly kind: 'put-annotation'; readonly path: string; readonly annotation: Annotation; readonly previous?: Annotation }
  | { readonly kind: 'delete-annotation'; readonly path: string; readonly annotation: Annotation };
