/** Role paths interned as small integers so role sets are typed arrays and lookups are array reads. */
export class RoleInterner {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  /** The id of `role`, allocating one on first sight (ids are never reused). */
  intern(role: string): number {
    let id = this.ids.get(role);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(role);
      this.ids.set(role, id);
    }
    return id;
  }

  lookup(role: string): number | undefined {
    return this.ids.get(role);
  }

  name(id: number): string {
    return this.names[id];
  }

  get size(): number {
    return this.names.length;
  }
}
