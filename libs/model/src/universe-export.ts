/** Export in the format of universe-format §8: stable order, explicit leaves, no `dir`. */
import { annotationToJson, ExportedAnnotationJson } from './annotation-json';
import { compareAnnotations } from './annotations';
import { comparePaths, parentPath, ROOT_PATH } from './path';
import { Tag } from './tags';
import { isActive } from './time-window';
import { Universe, UniverseNode } from './universe';

export interface ExportedNodeJson {
  path: string;
  meta: ExportedAnnotationJson[];
  children: ExportedNodeJson[] | null;
}

export interface ExportOptions {
  /** Leave out annotations that are expired or not yet active at `now`. */
  readonly activeOnly?: { readonly now: number };
}

/** One exported node with the nodes below it, in path order; `children` is null for a leaf. */
interface TreeEntry {
  node: UniverseNode;
  children: TreeEntry[] | null;
}

/** The tree of the export: a node appears when its parent does and is no leaf. */
function exportTree(universe: Universe): TreeEntry {
  const byPath = new Map<string, TreeEntry>();
  for (const node of [...universe.nodes].sort((a, b) => comparePaths(a.path, b.path))) {
    const entry: TreeEntry = { node, children: node.annotations.some((a) => a.tag === Tag.LEAF) ? null : [] };
    byPath.set(node.path, entry);
    if (node.path !== ROOT_PATH) byPath.get(parentPath(node.path))?.children?.push(entry);
  }
  const root = byPath.get(ROOT_PATH);
  if (!root) throw new Error('a universe always contains am://');
  return root;
}

function metaOf(node: UniverseNode, options: ExportOptions): ExportedAnnotationJson[] {
  return node.annotations
    .filter((a) => a.tag !== Tag.DIR && (a.tag === Tag.LEAF || !options.activeOnly || isActive(a, options.activeOnly.now)))
    .sort(compareAnnotations)
    .map(annotationToJson);
}

export function exportUniverse(universe: Universe, options: ExportOptions = {}): ExportedNodeJson {
  const toJson = (e: TreeEntry): ExportedNodeJson => ({ path: e.node.path, meta: metaOf(e.node, options), children: e.children && e.children.map(toJson) });
  return toJson(exportTree(universe));
}

/**
 * The export as text — exactly `JSON.stringify(exportUniverse(u), null, 2)` and a newline — in
 * pieces of about `pieceBytes`, so that a large tree is sent as it is written and is never one
 * string. Depth-first with an explicit stack (a deep tree must not exhaust the call stack).
 */
export function* exportUniverseChunks(universe: Universe, options: ExportOptions = {}, pieceBytes = 64 * 1024): Generator<string> {
  let out = '';
  // Meta is small per node: stringified whole, then indented to its place (JSON strings hold no raw newline).
  const open = (e: TreeEntry, indent: string): boolean => {
    const inner = `${indent}  `;
    const meta = JSON.stringify(metaOf(e.node, options), null, 2).replaceAll('\n', `\n${inner}`);
    out += `{\n${inner}"path": ${JSON.stringify(e.node.path)},\n${inner}"meta": ${meta},\n${inner}"children": `;
    if (e.children === null || e.children.length === 0) {
      out += `${e.children === null ? 'null' : '[]'}\n${indent}}`;
      return false;
    }
    out += '[\n';
    return true;
  };
  const root = exportTree(universe);
  const stack: { entry: TreeEntry; indent: string; next: number }[] = [];
  if (open(root, '')) stack.push({ entry: root, indent: '', next: 0 });
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const children = top.entry.children!;
    if (top.next === children.length) {
      out += `\n${top.indent}  ]\n${top.indent}}`;
      stack.pop();
      continue;
    }
    const child = children[top.next++];
    const indent = `${top.indent}    `;
    out += `${top.next > 1 ? ',\n' : ''}${indent}`;
    if (open(child, indent)) stack.push({ entry: child, indent, next: 0 });
    if (out.length >= pieceBytes) {
      yield out;
      out = '';
    }
  }
  yield `${out}\n`;
}

export function exportUniverseText(universe: Universe, options: ExportOptions = {}): string {
  let text = '';
  for (const piece of exportUniverseChunks(universe, options)) text += piece;
  return text;
}
