import { isAncestorOrSelf, Op } from '@am/model';
import type { MetaEvent } from '@am/store';
import type { MetadataService } from '../metadata/metadata-service';

/**
 * What a caller could see of nodes that are gone, judged on the tree as it was just before they
 * were removed (the tree of today no longer has their ACEs, and a parent the caller sees says
 * nothing about a child its own VIEW ACE hid). History shows the events of a gone node, and the
 * paths a recursive delete removed, only if the caller could see them then. Past trees are
 * rebuilt from the event log on first need (MetaHistory keeps a few).
 */
export class PastVisibility {
  private all?: Promise<readonly MetaEvent[]>;
  /** One past tree per revision asked about, for the whole query. */
  private readonly trees = new Map<number, ReturnType<MetadataService['viewAt']>>();

  constructor(
    private readonly svc: MetadataService,
    private readonly caller: string,
    private readonly now: number,
  ) {}

  /** Whether the caller could see the gone node `e` is about, just before it was removed. */
  async couldSeeBeforeRemoval(e: MetaEvent): Promise<boolean> {
    const removal = (await this.events()).find((d) => d.kind === 'delete-node' && d.seq >= e.seq && (isAncestorOrSelf(d.path, e.path) || d.removed?.includes(e.path)));
    if (!removal) return false; // gone without a trace of how: show nothing
    return this.visibleAt(removal.seq - 1, e.path);
  }

  /** The paths a delete removed that the caller could see just before. */
  async visibleRemoved(e: MetaEvent): Promise<string[]> {
    const removed: string[] = [];
    for (const path of e.removed ?? []) if (await this.visibleAt(e.seq - 1, path)) removed.push(path);
    return removed;
  }

  private async visibleAt(revision: number, path: string): Promise<boolean> {
    let tree = this.trees.get(revision);
    if (!tree) this.trees.set(revision, (tree = this.svc.viewAt({ revision })));
    const past = await tree;
    return past.engine.has(path) && past.engine.check(this.caller, path, [Op.VIEW], this.now).ok;
  }

  private events(): Promise<readonly MetaEvent[]> {
    return (this.all ??= this.svc.store.events());
  }
}
