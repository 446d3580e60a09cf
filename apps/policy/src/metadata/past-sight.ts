import type { AccessEngine } from '@am/engine';
import { Op, parentPath, ROOT_PATH } from '@am/model';
import { replacesTree, type MetaEvent, type MetaHistory, type MetaStore } from '@am/store';

/**
 * Time travel shows a past state only to a caller that may see it now and could see it then
 * (docs/access-model-decisions.md, "Time travel"). This module answers the "now" half for nodes
 * seen in a past state, and the "then" half for history entries, with at most one replay.
 */

/** Whether the caller may View a path in today's tree: itself, or — when gone — its nearest existing ancestor. */
export class PresentSight {
  private readonly cache = new Map<string, boolean>();

  constructor(
    private readonly present: AccessEngine,
    private readonly caller: string,
    private readonly now: number,
  ) {}

  sees(path: string): boolean {
    let shown = this.cache.get(path);
    if (shown === undefined) {
      let existing = path;
      while (existing !== ROOT_PATH && !this.present.has(existing)) existing = parentPath(existing);
      shown = this.present.check(this.caller, existing, [Op.VIEW], this.now).ok;
      this.cache.set(path, shown);
    }
    return shown;
  }
}

/** A node as it was in some past state: its path, and the first revision after that state. */
export interface Sighting {
  path: string;
  /** Removals of the node at or after this revision count (the revision after the state it was seen in). */
  from: number;
}

export interface PastSight {
  /**
   * The caller may see, now, the node seen in the past: today's tree shows it (or, gone, its nearest
   * existing ancestor) and, if the node was removed at or after `from`, the caller could View it just
   * before that removal — today's tree no longer has a removed node's own ACEs, so its last state
   * stands for its "now" (a node made again at the same path does not reopen the old one).
   */
  visibleNow(path: string, from: number): boolean;
  /**
   * History entry `e`: the caller (as it was then, with its roles then) could View the entry's node
   * in the state the entry made — just after it; a delete just before; an annotation change both
   * before and after, since its `before` is part of the earlier state.
   */
  visibleThen(e: MetaEvent): boolean;
  /** A role or principal named by entry `e` (see `names`): the caller could View it in the state visibleThen judged last. */
  nameVisibleThen(e: MetaEvent, name: string): boolean;
}

/** Where an entry's node is judged: after the event, before it, or both. */
function phasesOf(e: MetaEvent): ('before' | 'after')[] {
  if (e.kind === 'create-node') return ['after'];
  if (e.kind === 'delete-node') return ['before'];
  return ['before', 'after'];
}

/**
 * Judges `sightings` (now) and history `entries` (then). Past visibility is judged at the time of
 * the event concerned; every past tree needed comes from one replay (MetaHistory.around), and
 * none when nothing asks about the past; removals are read from the removal index from the
 * earliest sighting on.
 */
export async function judgePastSight(
  history: MetaHistory,
  store: MetaStore,
  present: PresentSight,
  caller: string,
  asked: { sightings?: readonly Sighting[]; entries?: readonly MetaEvent[]; names?: (e: MetaEvent) => readonly string[] },
): Promise<PastSight> {
  const sightings = asked.sightings ?? [];
  const removals = await removalIndex(store, sightings.length ? Math.min(...sightings.map((s) => s.from)) : Infinity);
  const looks = new Map<number, { before: Set<string>; after: Set<string>; names?: { phase: 'before' | 'after'; list: readonly string[] } }>();
  const lookAt = (seq: number) => {
    let l = looks.get(seq);
    if (!l) looks.set(seq, (l = { before: new Set(), after: new Set() }));
    return l;
  };
  const removalOf = new Map<string, number | undefined>();
  for (const { path, from } of sightings) {
    const key = `${from} ${path}`;
    if (removalOf.has(key)) continue;
    const seq = path === ROOT_PATH ? undefined : removals.firstFrom(path, from);
    removalOf.set(key, seq);
    if (seq !== undefined) lookAt(seq).before.add(path);
  }
  for (const e of asked.entries ?? []) {
    if (replacesTree(e)) continue;
    const phases = phasesOf(e);
    for (const phase of phases) lookAt(e.seq)[phase].add(e.path);
    const names = asked.names?.(e) ?? [];
    if (names.length > 0) lookAt(e.seq).names = { phase: phases.at(-1)!, list: names };
  }
  const seen = new Set<string>();
  const look = (phase: 'before' | 'after') => (tree: AccessEngine, e: MetaEvent) => {
    const at = Date.parse(e.time);
    const l = looks.get(e.seq)!;
    const visible = (path: string) => tree.has(path) && tree.check(caller, path, [Op.VIEW], at).ok;
    for (const path of l[phase]) if (visible(path)) seen.add(`${e.seq} ${phase} ${path}`);
    if (l.names?.phase === phase) for (const name of l.names.list) if (visible(name)) seen.add(`${e.seq} named ${name}`);
  };
  await history.around(new Set(looks.keys()), { before: look('before'), after: look('after') });
  return {
    visibleNow(path, from) {
      if (!present.sees(path)) return false;
      const key = `${from} ${path}`;
      const removal = removalOf.has(key) ? removalOf.get(key) : path === ROOT_PATH ? undefined : removals.firstFrom(path, from);
      return removal === undefined || seen.has(`${removal} before ${path}`);
    },
    visibleThen: (e) => replacesTree(e) || phasesOf(e).every((phase) => seen.has(`${e.seq} ${phase} ${e.path}`)),
    nameVisibleThen: (e, name) => seen.has(`${e.seq} named ${name}`),
  };
}

/** For each path, the seqs of the events at or after `from` that removed it; and the boot/imports, which remove everything. */
async function removalIndex(store: MetaStore, from: number) {
  const byPath = new Map<string, number[]>();
  const resets: number[] = [];
  const orders: string[] = [];
  if (from !== Infinity) for await (const r of store.log.entries(store.layout.removalIndex, { after: from - 1 })) orders.push(r.order);
  for (const d of await store.log.eventsAt(orders)) {
    if (replacesTree(d)) resets.push(d.seq);
    if (d.kind !== 'delete-node') continue;
    for (const path of new Set([d.path, ...(d.removed ?? [])])) {
      let seqs = byPath.get(path);
      if (!seqs) byPath.set(path, (seqs = []));
      seqs.push(d.seq);
    }
  }
  const firstFrom = (seqs: readonly number[] | undefined, from: number) => seqs?.find((s) => s >= from);
  return {
    /** The first event at or after revision `from` that removed the node at `path` (a delete of it or an ancestor, or a boot/import). */
    firstFrom(path: string, from: number): number | undefined {
      let first = firstFrom(resets, from);
      for (let p = path; ; p = parentPath(p)) {
        const s = firstFrom(byPath.get(p), from);
        if (s !== undefined && (first === undefined || s < first)) first = s;
        if (p === ROOT_PATH) return first;
      }
    },
  };
}
