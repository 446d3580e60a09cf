/**
 * One page of a sorted list: the items after the cursor (`isAfter`), at most `limit` of them, and
 * whether more follow. Every paged answer of policy cuts its list this way.
 */
export function pageAfter<T, C>(sorted: readonly T[], after: C | undefined, isAfter: (item: T, after: C) => boolean, limit: number): { items: T[]; more: boolean } {
  let start = 0;
  if (after !== undefined) while (start < sorted.length && !isAfter(sorted[start], after)) start++;
  return { items: sorted.slice(start, start + limit), more: start + limit < sorted.length };
}
