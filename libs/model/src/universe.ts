/** A universe: every node of the tree with its annotations, sorted by path (parents first). */
import { Annotation } from './annotations';

export interface UniverseNode {
  readonly path: string;
  /** Sorted in storage order (compareAnnotations); includes the `dir` or `leaf` annotation. */
  readonly annotations: readonly Annotation[];
}

export interface Universe {
  readonly nodes: readonly UniverseNode[];
}

/** A validation finding tied to a node of a universe file (universe-format §5). */
export interface UniverseProblem {
  readonly path: string;
  readonly message: string;
}
