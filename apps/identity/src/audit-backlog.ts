/** Events taken from the backlog together, with when each was added. */
export interface BacklogBatch<T> {
  items: T[];
  times: number[];
}

/**
 * The events waiting for the audit log, each with the (monotonic) time it was added, oldest
 * first. Pure bookkeeping: what is waiting, and since when the oldest has waited.
 */
export class AuditBacklog<T> {
  private items: T[] = [];
  private times: number[] = [];

  get size(): number {
    return this.items.length;
  }

  add(item: T, at: number): void {
    this.items.push(item);
    this.times.push(at);
  }

  /** When the oldest waiting item was added, or undefined when none waits. */
  oldest(): number | undefined {
    return this.times[0];
  }

  /** Removes and returns up to `max` of the oldest items. */
  take(max: number): BacklogBatch<T> {
    return { items: this.items.splice(0, max), times: this.times.splice(0, max) };
  }

  /**
   * Returns a batch that could not be written, in time order: batches fail in any order, and a
   * batch put back after a newer one must still count as the oldest.
   */
  putBack(batch: BacklogBatch<T>): void {
    if (batch.items.length === 0) return;
    const first = batch.times[0];
    let at = this.times.findIndex((t) => t > first);
    if (at < 0) at = this.times.length;
    this.items.splice(at, 0, ...batch.items);
    this.times.splice(at, 0, ...batch.times);
  }
}
