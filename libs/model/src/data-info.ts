/** The `data-info` payload of a dataset (access-model §10.1). */
import { FailedPreconditionError } from './errors';

export interface DataInfo {
  readonly delegatedAttributes: readonly string[];
}

/** Parses `{"delegatedAttributes": [...]}` (alias `delegated_attributes`; unknown fields ignored). */
export function parseDataInfo(data: string, datasetPath: string): DataInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data === '' ? '{}' : data);
  } catch {
    throw new FailedPreconditionError(`invalid dataset info annotation for ${datasetPath}: not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new FailedPreconditionError(`invalid dataset info annotation for ${datasetPath}: not a JSON object`);
  }
  const record = parsed as Record<string, unknown>;
  const attrs = record.delegatedAttributes ?? record.delegated_attributes ?? [];
  if (!Array.isArray(attrs) || attrs.some((a) => typeof a !== 'string')) {
    throw new FailedPreconditionError(`invalid dataset info annotation for ${datasetPath}: delegatedAttributes must be a list of role paths`);
  }
  return { delegatedAttributes: attrs as string[] };
}
