/** Argument validation of an annotation in a write request (step 2 of §9.2). */
import {
  AceAnnotation,
  Annotation,
  AppliedRoleAnnotation,
  checkCertNamesAnnotation,
  INT64_MAX,
  INT64_MIN,
  InvalidArgumentError,
  isAce,
  isAppliedRole,
  isStructuralTag,
  parseOperation,
  parsePath,
  parseTag,
  ROOT_PATH,
  Tag,
  TextAnnotation,
} from '@am/model';

export function validateStructuralTagUntouched(tag: string): void {
  parseTag(tag);
  if (isStructuralTag(tag)) {
    throw new InvalidArgumentError(`${tag} is a structural tag: it is set when the node is created and removed only with the node`);
  }
}

/** Returns a clean copy of the annotation with normalised role paths, or throws invalid-argument. */
export function validateAnnotationInput(a: Annotation, path: string): Annotation {
  validateStructuralTagUntouched(a.tag);
  if (typeof a.unique !== 'bigint' || a.unique < INT64_MIN || a.unique > INT64_MAX) throw new InvalidArgumentError('unique must be a 64-bit integer');
  for (const [name, value] of [
    ['startMillis', a.startMillis],
    ['endMillis', a.endMillis],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  }
  const header = { unique: a.unique, version: a.version, startMillis: a.startMillis, endMillis: a.endMillis };
  if (isAce(a)) {
    // An ACL without roles is valid: never satisfied (§4.1), `READ [[]]` means "nobody may read".
    const acls = a.acls.map((acl) => ({ roles: acl.roles.map(parsePath) }));
    const ace: AceAnnotation = { tag: a.tag, ...header, op: parseOperation(a.op), local: a.local === true, agent: a.agent === true, acls };
    return ace;
  }
  if (isAppliedRole(a)) {
    if (path === ROOT_PATH) throw new InvalidArgumentError('cannot apply a role at am://');
    const applied: AppliedRoleAnnotation = { tag: a.tag, ...header, role: parsePath(a.role) };
    return applied;
  }
  const data = (a as TextAnnotation).data;
  if (typeof data !== 'string') throw new InvalidArgumentError(`annotation ${a.tag} needs a string data member`);
  if (a.tag === Tag.CERT_NAMES) checkCertNamesAnnotation(path, data);
  const text: TextAnnotation = { tag: a.tag, ...header, data };
  return text;
}
