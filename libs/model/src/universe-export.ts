/** Export in the format of universe-format §8: stable order, explicit leaves, no `dir`. */
import { annotationToJson, ExportedAnnotationJson } from './annotation-json';
import { compareAnnotations } from './annotations';
import { comparePaths, parentPath, ROOT_PATH } from './path';
import { Tag } from './tags';
import { isActive } from './time-window';
import { Universe } from './universe';

export interface ExportedNodeJson {
  path: string;
  meta: ExportedAnnotationJson[];
  children: ExportedNodeJson[] | null;
}

export interface ExportOptions {
  /** Leave out annotations that are expired or not yet active at `now`. */
  readonly activeOnly?: { readonly now: number };
}

export function exportUniverse(universe: Universe, options: ExportOptions = {}): ExportedNodeJson {
  const byPath = new Map<string, ExportedNodeJson>();
  const sorted = [...universe.nodes].sort((a, b) => comparePaths(a.path, b.path));
  for (const node of sorted) {
    const isLeaf = node.annotations.some((a) => a.tag === Tag.LEAF);
    const kept = node.annotations
      .filter((a) => a.tag !== Tag.DIR && (a.tag === Tag.LEAF || !options.activeOnly || isActive(a, options.activeOnly.now)))
      .sort(compareAnnotations);
    const json: ExportedNodeJson = { path: node.path, meta: kept.map(annotationToJson), children: isLeaf ? null : [] };
    byPath.set(node.path, json);
    if (node.path !== ROOT_PATH) byPath.get(parentPath(node.path))?.children?.push(json);
  }
  const root = byPath.get(ROOT_PATH);
  if (!root) throw new Error('a universe always contains am://');
  return root;
}

export function exportUniverseText(universe: Universe, options: ExportOptions = {}): string {
  return `${JSON.stringify(exportUniverse(universe, options), null, 2)}\n`;
}
