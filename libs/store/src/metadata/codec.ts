import { annotationFromJson, annotationToJson, type Annotation } from '@am/model';

/**
 * Stored form of an annotation: the export JSON (every member, int64 as strings). Serialisation is
 * deterministic, so comparing stored bytes is comparing versions (each write bumps the version).
 */
export function encodeAnnotation(a: Annotation): string {
  return JSON.stringify(annotationToJson(a));
}

export function decodeAnnotation(text: string): Annotation {
  const json = JSON.parse(text) as Record<string, unknown>;
  const stored = annotationFromJson(json);
  // annotationFromJson reads `version` as a requested version; stored ones are actual versions.
  return { ...stored, version: Number(json.version) };
}
