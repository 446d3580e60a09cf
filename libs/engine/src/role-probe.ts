/**
 * A reusable membership test for one role set at a time: loading marks each role with a fresh
 * stamp, so a membership test is one array read and loading costs O(|set|) with no clearing.
 * Single-threaded and not re-entrant: load, test, then load the next set.
 */
export class RoleProbe {
  marks = new Int32Array(1024);
  stamp = 0;

  /** Marks `roles` as the current set; afterwards `marks[r] === stamp` iff r is in it. */
  load(roles: readonly number[], roleCount: number): void {
    if (roleCount > this.marks.length) this.grow(roleCount);
    if (++this.stamp === 0x7fffffff) {
      this.marks.fill(0);
      this.stamp = 1;
    }
    const marks = this.marks;
    const stamp = this.stamp;
    for (let i = 0; i < roles.length; i++) marks[roles[i]] = stamp;
  }

  private grow(min: number): void {
    let size = this.marks.length;
    while (size < min) size *= 2;
    const next = new Int32Array(size);
    next.set(this.marks);
    this.marks = next;
  }
}
