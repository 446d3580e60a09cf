import type { Logger } from 'pino';

/** Least time between two warnings about dropped requests on one subject. */
const INTERVAL_MS = 10_000;

/**
 * Warnings about requests dropped for their reply subject, at most one per subject per interval:
 * whoever floods us with hostile requests must not flood the log too (the metric counts every
 * one). The next warning says how many were not logged meanwhile. Bounded: one entry per subject
 * this service answers.
 */
export class DropWarnings {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Pick<Logger, 'warn'>,
    private readonly clock: () => number = Date.now,
    private readonly intervalMs = INTERVAL_MS,
  ) {}

  dropped(subject: string, reply: string): void {
    const now = this.clock();
    const seen = this.last.get(subject);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.last.set(subject, { at: now, suppressed: 0 });
    this.log.warn({ subject, reply: reply.slice(0, 200), ...(suppressed ? { notLogged: suppressed } : {}) }, 'request dropped: its reply subject is not an inbox');
  }
}
