/** Time windows (access-model §2.5): active iff startMillis ≤ now and (endMillis = 0 or now < endMillis). */
import { InvalidArgumentError } from './errors';

export interface TimeWindow {
  readonly startMillis: number;
  readonly endMillis: number;
}

export function isActive(w: TimeWindow, now: number): boolean {
  return w.startMillis <= now && (w.endMillis === 0 || now < w.endMillis);
}

export function isTimeless(w: TimeWindow): boolean {
  return w.startMillis === 0 && w.endMillis === 0;
}

/** A window that ends before it starts can never be active: refused on write and on load. */
export function checkTimeWindow(w: TimeWindow): void {
  if (w.endMillis !== 0 && w.endMillis < w.startMillis) {
    throw new InvalidArgumentError(`endMillis ${w.endMillis} is before startMillis ${w.startMillis}: the annotation could never be active (endMillis 0 means no end)`, 'endMillis');
  }
}
