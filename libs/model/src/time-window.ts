/** Time windows (access-model §2.5): active iff startMillis ≤ now and (endMillis = 0 or now < endMillis). */
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
