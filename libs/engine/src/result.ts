/** Decisions are returned, not thrown: a typed error on the refusal path, the value on success. */
import { AmError, isAmError } from '@am/model';

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AmError };

/** Runs a rule that throws AmError on refusal; anything else is a bug and propagates. */
export function attempt<T>(rule: () => T): Result<T> {
  try {
    return { ok: true, value: rule() };
  } catch (e) {
    if (isAmError(e)) return { ok: false, error: e };
    throw e;
  }
}

/** For callers that prefer exceptions. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}
