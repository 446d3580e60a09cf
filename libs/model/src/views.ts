/**
 * Read models returned to callers: node details in the shape of compat-rest §4.7 (int64 members as
 * decimal strings, operations by name), already redacted for the caller.
 */
import { OperationName } from './operations';

/** The exact replacement for a role the caller cannot View (access-model §7.3). */
export const REDACTED_ROLE = '## Redacted role ##';
/** In history, the actor of a change when the caller cannot View that principal (as §7.3 does for roles). */
export const REDACTED_PRINCIPAL = '## Redacted principal ##';

export interface AnnotationHeaderView {
  tag: string;
  unique: string;
  version: string;
  startMillis: string;
  endMillis: string;
}

export interface AppliedRoleView extends AnnotationHeaderView {
  role: string;
}

export interface AclView {
  roles: string[];
}

export interface AceView extends AnnotationHeaderView {
  op: OperationName;
  local: boolean;
  agent: boolean;
  acls: AclView[];
}

export interface UserAnnotationView extends AnnotationHeaderView {
  data: string;
}

export interface NodeDetails {
  path: string;
  roles: AppliedRoleView[];
  inheritedRoles: AppliedRoleView[];
  aces: AceView[];
  inheritedAces: AceView[];
  annotations: UserAnnotationView[];
  isDirectory: boolean;
}

export interface DetailsResult {
  details: NodeDetails;
  /** Paths of the children the caller can View, sorted; [] unless children were asked for. */
  children: string[];
}
