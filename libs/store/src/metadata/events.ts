import { annotationToJson, type Annotation, type ExportedAnnotationJson } from '@am/model';

/** The kinds of change the metadata tree records. */
export type MetaEventKind = 'boot' | 'import' | 'create-node' | 'delete-node' | 'put-annotation' | 'delete-annotation';

/**
 * One immutable record of a change. `seq` is the etcd revision of the transaction that wrote the
 * event together with the state it describes, so events and state can never disagree.
 */
export interface MetaEvent {
  id: string;
  seq: number;
  /** Where it stands in the log (MetaLayout: commit order). */
  order: string;
  time: string;
  actor: string;
  kind: MetaEventKind;
  path: string;
  before?: ExportedAnnotationJson | null;
  after?: ExportedAnnotationJson | null;
  /** delete-node: every path removed (the node and its descendants). */
  removed?: string[];
  /** create-node: the node's initial annotations. */
  annotations?: ExportedAnnotationJson[];
  /** boot/import: size of the tree and its generation. */
  nodes?: number;
  generation?: string;
  /** boot/import: how many stored parts hold the universe it loaded. */
  parts?: number;
}

export type StoredEvent = Omit<MetaEvent, 'seq' | 'order'>;

/** A boot or an import: the event replaced the whole tree. */
export const replacesTree = (e: Pick<MetaEvent, 'kind'>): boolean => e.kind === 'boot' || e.kind === 'import';

export const annotationJson = (a: Annotation | undefined): ExportedAnnotationJson | null => (a ? annotationToJson(a) : null);
