/** Renders annotations for one viewer, replacing every role it cannot View by REDACTED_ROLE (§7.3). */
import {
  AceAnnotation,
  AceView,
  AnnotationHeader,
  AnnotationHeaderView,
  AppliedRoleAnnotation,
  AppliedRoleView,
  operationName,
  REDACTED_ROLE,
  TextAnnotation,
  UserAnnotationView,
} from '@am/model';
import { Evaluator } from './evaluator';
import { TreeNode } from './tree-node';

export class Redactor {
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly ev: Evaluator,
    private readonly viewer: TreeNode,
    private readonly now: number,
  ) {}

  role(role: string): string {
    let shown = this.cache.get(role);
    if (shown === undefined) {
      shown = this.ev.roleVisible(this.viewer, role, this.now) ? role : REDACTED_ROLE;
      this.cache.set(role, shown);
    }
    return shown;
  }

  appliedRole(a: AppliedRoleAnnotation): AppliedRoleView {
    return { role: this.role(a.role), ...headerView(a) };
  }

  ace(a: AceAnnotation): AceView {
    return {
      op: operationName(a.op),
      local: a.local,
      agent: a.agent,
      acls: a.acls.map((acl) => ({ roles: acl.roles.map((r) => this.role(r)) })),
      ...headerView(a),
    };
  }
}

export function headerView(a: AnnotationHeader): AnnotationHeaderView {
  return { tag: a.tag, unique: a.unique.toString(), version: String(a.version), startMillis: String(a.startMillis), endMillis: String(a.endMillis) };
}

export function userAnnotationView(a: TextAnnotation): UserAnnotationView {
  return { data: a.data, ...headerView(a) };
}
