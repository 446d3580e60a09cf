export { AccessEngine, type EngineOptions, type NodeRef } from './engine';
export { AccessTree } from './access-tree';
export type { ApprovedChange, ChangeRequest, CreateNodeRequest, DeleteAnnotationRequest, DeleteNodeRequest, PutAnnotationRequest } from './changes';
export type { DetailsOptions } from './details';
export { ALLOWED_BY_DEFAULT, DENIED_BY_DEFAULT, type AceExplanation, type AclExplanation, type Explanation, type OperationExplanation } from './explain';
export { NATIVE_LOGIN_ROLE, type DatasetCredentialPlan, type IdentitySettings, type SshLoginSettings } from './rules-credentials';
export { attempt, unwrap, type Result } from './result';
export type { VisibleExport } from './visible-export';
export type { CertificateRequest } from './rules-certificates';
