import type { CallerResolver } from '@am/auth';
import type { AcceptedKind } from '@am/crypto';
import { unwrap, type AccessEngine, type ApprovedChange, type ChangeRequest } from '@am/engine';
import { ConflictError } from '@am/model';
import { StaleWriteError, type MetaHistory, type MetaProjection, type MetaStore } from '@am/store';

/** A tree to answer from and the revision it reflects. */
export interface View {
  engine: AccessEngine;
  revision: number;
}

export interface Committed {
  change: ApprovedChange;
  actor: string;
  revision: number;
}

export interface MetadataServiceDeps {
  projection: MetaProjection;
  history: MetaHistory;
  resolver: CallerResolver;
  /** Told about every change this instance committed (to publish it). */
  onCommit?: (c: Committed) => void;
  clock?: () => number;
  /**
   * Decide-and-commit attempts when the view was behind the store, i.e. another instance wrote
   * (default 50: each round one instance wins, so this only bounds a livelock).
   */
  maxAttempts?: number;
}

/**
 * The policy service's core: answers come from the projection (optionally waiting for a consistency
 * token; the past comes from the history, see PastView), and every write is decided on the projection, then
 * committed only if nothing was written to the tree since that view. A write refused because the
 * view was behind is decided again on a fresher view, so no change rests on stale state. Writes of
 * one instance go one at a time (they would only invalidate each other); instances race in etcd.
 */
export class MetadataService {
  readonly clock: () => number;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: MetadataServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /** The tree's past, rebuilt from the event log. */
  get history(): MetaHistory {
    return this.deps.history;
  }

  get store(): MetaStore {
    return this.deps.projection.store;
  }

  get projection(): MetaProjection {
    return this.deps.projection;
  }

  /** The current view, at least as new as `atLeast` (bounded wait, else unavailable). */
  async view(atLeast?: number): Promise<View> {
    if (atLeast !== undefined) await this.deps.projection.atLeast(atLeast);
    // Captured together, with no await in between: the engine at exactly this revision.
    return { engine: this.deps.projection.engine, revision: this.deps.projection.revision };
  }

  /** The principal a credential stands for, verified against the current tree. */
  async caller(credential: string, accept: AcceptedKind = 'login'): Promise<string> {
    return (await this.deps.resolver.resolveLatest(credential, this.clock(), accept)).principal;
  }

  async write(credential: string, request: ChangeRequest, atLeast?: number): Promise<Committed> {
    // Authenticated before it queues: a signing-key catch-up (an etcd read) must not hold up every
    // other write. Inside the queue the caller is resolved again, without waiting for anything.
    await this.caller(credential).catch(() => undefined);
    const done = this.writes.then(() => this.decideAndCommit(credential, request, atLeast));
    this.writes = done.catch(() => undefined);
    return done;
  }

  private async decideAndCommit(credential: string, request: ChangeRequest, atLeast?: number): Promise<Committed> {
    const attempts = this.deps.maxAttempts ?? 50;
    let floor = atLeast;
    for (let attempt = 1; ; attempt++) {
      const { engine } = await this.view(floor);
      const expectations = this.deps.projection.expectations();
      const actor = this.deps.resolver.resolve(credential, this.clock()).principal;
      const change = unwrap(engine.authorize(actor, request, this.clock()));
      try {
        const { revision } = await this.store.commit(change, actor, expectations);
        // Read-your-writes on this instance; the commit stands even if the view lags.
        await this.deps.projection.atLeast(revision).catch(() => undefined);
        const committed = { change, actor, revision };
        this.deps.onCommit?.(committed);
        return committed;
      } catch (err) {
        if (!(err instanceof StaleWriteError)) throw err;
        if (attempt >= attempts) throw new ConflictError(`${err.message} (gave up after ${attempts} attempts)`);
        floor = err.currentRevision;
      }
    }
  }
}
