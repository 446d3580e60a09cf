/**
 * Typed errors shared by every layer. Each carries a stable `code` the transports map to their own
 * status (HTTP, NATS); messages keep the reference's text fragments quoted in access-model.md.
 */
export type ErrorCode =
  | 'invalid-argument'
  | 'not-found'
  | 'permission-denied'
  | 'already-exists'
  | 'conflict'
  | 'failed-precondition'
  | 'payload-too-large'
  | 'unauthenticated'
  | 'unavailable'
  | 'internal';

export abstract class AmError extends Error {
  abstract readonly code: ErrorCode;
  /** The request member at fault (e.g. `data` of an annotation), carried across the bus for 400s. */
  field?: string;
  constructor(message: string, field?: string) {
    super(message);
    this.name = new.target.name;
    if (field) this.field = field;
  }
}

export class InvalidArgumentError extends AmError {
  readonly code = 'invalid-argument' as const;
}

/** A path that does not follow the grammar of access-model §1.1. */
export class InvalidPathError extends InvalidArgumentError {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid path ${JSON.stringify(input)}: ${reason}`);
  }
}

export class NotFoundError extends AmError {
  readonly code = 'not-found' as const;
}

export class PermissionDeniedError extends AmError {
  readonly code = 'permission-denied' as const;
}

/** Create-only write on something that exists (`"already exists"`). */
export class AlreadyExistsError extends AmError {
  readonly code = 'already-exists' as const;
}

/** Compare-and-set failure (`"version mismatch"`). */
export class ConflictError extends AmError {
  readonly code = 'conflict' as const;
}

export class FailedPreconditionError extends AmError {
  readonly code = 'failed-precondition' as const;
}

/** An input over a documented size limit (the message names the limit). */
export class PayloadTooLargeError extends AmError {
  readonly code = 'payload-too-large' as const;
}

export class UnauthenticatedError extends AmError {
  readonly code = 'unauthenticated' as const;
}

/** A dependency (etcd, NATS, a service) did not answer in time; the caller may retry. */
export class UnavailableError extends AmError {
  readonly code = 'unavailable' as const;
}

/** A bug or an unexpected failure; its details stay in the log of the service that hit it. */
export class InternalError extends AmError {
  readonly code = 'internal' as const;
}

const ERROR_CLASSES: Record<ErrorCode, new (message: string, field?: string) => AmError> = {
  'invalid-argument': InvalidArgumentError,
  'not-found': NotFoundError,
  'permission-denied': PermissionDeniedError,
  'already-exists': AlreadyExistsError,
  conflict: ConflictError,
  'failed-precondition': FailedPreconditionError,
  'payload-too-large': PayloadTooLargeError,
  unauthenticated: UnauthenticatedError,
  unavailable: UnavailableError,
  internal: InternalError,
};

export const ERROR_CODES = Object.keys(ERROR_CLASSES) as ErrorCode[];

/** Rebuilds a typed error from its code and message (an error that crossed a transport). */
export function errorFromCode(code: ErrorCode, message: string, field?: string): AmError {
  return new ERROR_CLASSES[code](message, field);
}

export function isAmError(e: unknown): e is AmError {
  return e instanceof AmError;
}
