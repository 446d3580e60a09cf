import { isAmError, type ErrorCode } from '@am/model';
import { z } from 'zod';

/** HTTP status of each error code on the v1 API. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  'invalid-argument': 400,
  unauthenticated: 401,
  'permission-denied': 403,
  'not-found': 404,
  'already-exists': 409,
  conflict: 409,
  'failed-precondition': 409,
  'payload-too-large': 413,
  unavailable: 503,
  internal: 500,
};

const TITLES: Record<ErrorCode, string> = {
  'invalid-argument': 'Invalid request',
  unauthenticated: 'Authentication required',
  'permission-denied': 'Permission denied',
  'not-found': 'Not found',
  'already-exists': 'Already exists',
  conflict: 'Version conflict',
  'failed-precondition': 'Precondition failed',
  'payload-too-large': 'Payload too large',
  unavailable: 'Service unavailable',
  internal: 'Internal error',
};

/** RFC 9457 problem details, the error body of every v1 route. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  /** The request field at fault, for 400s. */
  field: z.string().optional(),
});
export type Problem = z.infer<typeof Problem>;

/** Stable problem types: a URI per error code (documentation anchors, not fetched). */
export const problemType = (code: ErrorCode | 'route-not-found') => `https://access-manager.dev/problems/${code}`;

export function problemFor(code: ErrorCode, detail: string, field?: string): Problem {
  return { type: problemType(code), title: TITLES[code], status: HTTP_STATUS[code], detail, ...(field ? { field } : {}) };
}

/** An error as a problem; anything that is not a typed error is internal and says nothing more. */
export function toProblem(err: unknown): Problem {
  if (isAmError(err)) return problemFor(err.code, err.code === 'internal' ? 'internal error' : err.message);
  return problemFor('internal', 'internal error');
}
