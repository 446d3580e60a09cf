/**
 * The JSON form of one annotation (universe-format §2; also the annotate request body):
 * zod checks the shape (unknown members are errors), then values are converted to model types.
 */
import { z } from 'zod';
import { AceAnnotation, Annotation, AppliedRoleAnnotation, isAce, isAppliedRole, TextAnnotation } from './annotations';
import { InvalidArgumentError } from './errors';
import { parseInt64, parseSafeInt64 } from './int64';
import { operationName, parseOperation } from './operations';
import { parsePath } from './path';
import { parseTag, STRUCTURAL_TAGS, Tag } from './tags';

const int64Json = z.union([z.number().int(), z.string().regex(/^\s*-?\d+\s*$/)]);
const headerShape = {
  tag: z.string(),
  unique: int64Json.optional(),
  version: int64Json.optional(),
  startMillis: int64Json.optional(),
  endMillis: int64Json.optional(),
};

export const aclJsonSchema = z.strictObject({ roles: z.array(z.string()).nullish() });
export const aceJsonSchema = z.strictObject({
  ...headerShape,
  op: z.union([z.string(), z.number().int()]),
  local: z.boolean().optional(),
  agent: z.boolean().optional(),
  acls: z.array(aclJsonSchema).nullish(),
});
export const appliedRoleJsonSchema = z.strictObject({ ...headerShape, role: z.string() });
export const textAnnotationJsonSchema = z.strictObject({ ...headerShape, data: z.string().optional() });

export type AnnotationJson = z.input<typeof aceJsonSchema> | z.input<typeof appliedRoleJsonSchema> | z.input<typeof textAnnotationJsonSchema>;

/** Output form: int64 as decimal strings, op as upper-case name (universe-format §8). */
export interface ExportedAnnotationJson {
  tag: string;
  unique: string;
  version: string;
  startMillis: string;
  endMillis: string;
  op?: string;
  local?: boolean;
  agent?: boolean;
  acls?: { roles: string[] }[];
  role?: string;
  data?: string;
}

function shapeOrThrow<T>(schema: z.ZodType<T>, value: unknown, tag: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidArgumentError(`invalid ${tag} annotation: ${z.prettifyError(result.error).replace(/\n/g, '; ')}`);
  return result.data;
}

function header<T extends string>(json: z.infer<typeof appliedRoleJsonSchema> | z.infer<typeof textAnnotationJsonSchema> | z.infer<typeof aceJsonSchema>, tag: T) {
  return {
    tag,
    unique: json.unique === undefined ? 0n : parseInt64(json.unique, 'unique'),
    version: json.version === undefined ? 0 : parseSafeInt64(json.version, 'version'),
    startMillis: json.startMillis === undefined ? 0 : parseSafeInt64(json.startMillis, 'startMillis'),
    endMillis: json.endMillis === undefined ? 0 : parseSafeInt64(json.endMillis, 'endMillis'),
  };
}

/**
 * Parses one annotation object. Missing unique → 0n (assign one), missing version → 0.
 * Role paths are validated and normalised; `INVALID` operations are rejected.
 */
export function annotationFromJson(value: unknown): Annotation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError('an annotation must be a JSON object');
  }
  const tag = parseTag((value as { tag?: unknown }).tag);
  if (tag === Tag.ACE) {
    const json = shapeOrThrow(aceJsonSchema, value, tag);
    const ace: AceAnnotation = {
      ...header(json, Tag.ACE),
      op: parseOperation(json.op),
      local: json.local ?? false,
      agent: json.agent ?? false,
      acls: (json.acls ?? []).map((acl) => ({ roles: (acl.roles ?? []).map(parsePath) })),
    };
    return ace;
  }
  if (tag === Tag.APPLIED_ROLE) {
    const json = shapeOrThrow(appliedRoleJsonSchema, value, tag);
    const applied: AppliedRoleAnnotation = { ...header(json, Tag.APPLIED_ROLE), role: parsePath(json.role) };
    return applied;
  }
  const json = shapeOrThrow(textAnnotationJsonSchema, value, tag);
  const data = json.data ?? '';
  if (STRUCTURAL_TAGS.has(tag) && data !== '') throw new InvalidArgumentError(`the reserved tag ${tag} cannot carry data`);
  const text: TextAnnotation = { ...header(json, tag), data };
  return text;
}

/** Serialises one annotation in export form (every header member, zeros included). */
export function annotationToJson(a: Annotation): ExportedAnnotationJson {
  const out: ExportedAnnotationJson = {
    tag: a.tag,
    unique: a.unique.toString(),
    version: String(a.version),
    startMillis: String(a.startMillis),
    endMillis: String(a.endMillis),
  };
  if (isAce(a)) {
    out.op = operationName(a.op);
    out.local = a.local;
    out.agent = a.agent;
    out.acls = a.acls.map((acl) => ({ roles: [...acl.roles] }));
  } else if (isAppliedRole(a)) {
    out.role = a.role;
  } else if ((a as TextAnnotation).data !== '') {
    out.data = (a as TextAnnotation).data;
  }
  return out;
}
