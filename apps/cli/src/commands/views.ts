/** The v1 views the CLI reads (int64 members as decimal strings, op by name). */
export interface Header {
  tag: string;
  unique: string;
  version: string;
  startMillis: string;
  endMillis: string;
}
export interface RoleView extends Header {
  role: string;
}
export interface AceView extends Header {
  op: string;
  local: boolean;
  agent: boolean;
  acls: { roles: string[] }[];
}
export interface AnnotationView extends Header {
  data: string;
}
export interface NodeView {
  path: string;
  isDirectory: boolean;
  roles: RoleView[];
  inheritedRoles: RoleView[];
  aces: AceView[];
  inheritedAces: AceView[];
  annotations: AnnotationView[];
  children: string[];
  revision: number;
}

export const OP_NAMES = ['READ', 'WRITE', 'VIEW', 'ADMIN', 'USEROLE', 'APPLYROLE', 'VOUCHFOR'] as const;

/** `[r1 | r2] & [r3]`: ACLs joined by "and", roles within one by "or". */
export function aclText(acls: { roles: string[] }[]): string {
  if (acls.length === 0) return '(no ACL: always satisfied)';
  return acls.map((acl) => `[${acl.roles.join(' | ')}]`).join(' & ');
}

/** "from … until …" for an annotation with a time window, else ''. */
export function windowText(h: Partial<Header>): string {
  const at = (ms?: string) => (ms && ms !== '0' ? new Date(Number(ms)).toISOString() : undefined);
  const from = at(h.startMillis);
  const until = at(h.endMillis);
  return [from && `from ${from}`, until && `until ${until}`].filter(Boolean).join(' ');
}

/** The reference used by `am rm PATH#tag-unique`, with the version. */
export const ref = (h: Header) => `#${h.tag}-${h.unique} v${h.version}`;
