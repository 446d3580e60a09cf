/**
 * Failed ssh logins per source address: at most `maxFailures` within `windowSec`; beyond that the
 * address is refused outright until its oldest counted failure leaves the window. Memory is
 * bounded: at most `maxAddresses` are tracked (the least recently failing is forgotten first).
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowSec: number,
    private readonly clock: () => number = Date.now,
    private readonly maxAddresses = 100_000,
  ) {}

  blocked(address: string): boolean {
    if (this.maxFailures <= 0) return false;
    return this.recent(address).length >= this.maxFailures;
  }

  fail(address: string): void {
    const times = this.recent(address);
    times.push(this.clock());
    this.failures.delete(address);
    this.failures.set(address, times);
    if (this.failures.size > this.maxAddresses) this.failures.delete(this.failures.keys().next().value as string);
  }

  get tracked(): number {
    return this.failures.size;
  }

  private recent(address: string): number[] {
    const since = this.clock() - this.windowSec * 1000;
    const times = (this.failures.get(address) ?? []).filter((t) => t > since);
    if (times.length === 0) this.failures.delete(address);
    else this.failures.set(address, times);
    return times;
  }
}
