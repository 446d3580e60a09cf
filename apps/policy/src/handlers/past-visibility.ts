import { Op, parentPath, ROOT_PATH } from '@am/model';
import { replacesTree, type MetaEvent, type MetaHistory } from '@am/store';

/** What history may show of events whose node was removed since (see pastVisibility). */
export interface PastJudgement {
  /** False when the event's node was removed later and the caller could not see it just before. */
  shown(e: MetaEvent): boolean;
  /** The paths a delete removed that the caller could see just before. */
  removed(e: MetaEvent): string[];
}

/**
 * Judges `events` (taken from `log`, the whole event log in order) on the tree as it was just
 * before their node was removed: by a delete of it or of an ancestor, or by a boot/import that
 * replaced the tree. Today's tree no longer has a removed node's ACEs (and a node of the same path
 * may exist again), and a parent the caller sees says nothing about a child its own VIEW ACE hid.
 * All the past trees needed come from one replay of `log` (MetaHistory.beforeEvents).
 */
export async function pastVisibility(history: MetaHistory, log: readonly MetaEvent[], caller: string, now: number, events: readonly MetaEvent[]): Promise<PastJudgement> {
  const removals = removalIndex(log);
  const needed = new Map<number, Set<string>>();
  const ask = (seq: number, path: string) => {
    let paths = needed.get(seq);
    if (!paths) needed.set(seq, (paths = new Set()));
    paths.add(path);
  };
  const removalOf = new Map<MetaEvent, number>();
  for (const e of events) {
    if (e.path === ROOT_PATH) continue;
    const seq = removals.firstAfter(e);
    if (seq !== undefined) {
      removalOf.set(e, seq);
      ask(seq, e.path);
    }
    for (const path of e.removed ?? []) ask(e.seq, path);
  }
  const visible = new Set<string>();
  await history.beforeEvents(log, new Set(needed.keys()), (tree, d) => {
    for (const path of needed.get(d.seq)!) {
      if (tree.has(path) && tree.check(caller, path, [Op.VIEW], now).ok) visible.add(`${d.seq} ${path}`);
    }
  });
  return {
    shown: (e) => !removalOf.has(e) || visible.has(`${removalOf.get(e)} ${e.path}`),
    removed: (e) => (e.removed ?? []).filter((path) => visible.has(`${e.seq} ${path}`)),
  };
}

/** For each path, the seqs of the events that removed it; and the boot/imports, which remove everything. */
function removalIndex(log: readonly MetaEvent[]) {
  const byPath = new Map<string, number[]>();
  const resets: number[] = [];
  for (const d of log) {
    if (replacesTree(d)) resets.push(d.seq);
    if (d.kind !== 'delete-node') continue;
    for (const path of new Set([d.path, ...(d.removed ?? [])])) {
      let seqs = byPath.get(path);
      if (!seqs) byPath.set(path, (seqs = []));
      seqs.push(d.seq);
    }
  }
  const firstAtOrAfter = (seqs: readonly number[] | undefined, seq: number) => seqs?.find((s) => s >= seq);
  return {
    /** The first event at or after `e` that removed its node (itself, for a delete), if any. */
    firstAfter(e: MetaEvent): number | undefined {
      let first = resets.find((s) => s > e.seq);
      for (let path = e.path; ; path = parentPath(path)) {
        const s = firstAtOrAfter(byPath.get(path), e.seq);
        if (s !== undefined && (first === undefined || s < first)) first = s;
        if (path === ROOT_PATH) return first;
      }
    },
  };
}
