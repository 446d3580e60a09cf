/** int64 members arrive as JSON numbers or decimal strings (protobuf JSON mapping). */
import { InvalidArgumentError } from './errors';

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** Parses an int64 given as bigint, safe-integer number or decimal string. */
export function parseInt64(value: unknown, what = 'value'): bigint {
  let result: bigint | undefined;
  if (typeof value === 'bigint') result = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) result = BigInt(value);
  else if (typeof value === 'string' && /^-?\d{1,19}$/.test(value.trim())) result = BigInt(value.trim());
  if (result === undefined || result < INT64_MIN || result > INT64_MAX) {
    throw new InvalidArgumentError(`${what} must be a 64-bit integer (number or decimal string), got ${JSON.stringify(String(value))}`);
  }
  return result;
}

/**
 * Times and versions are kept as JavaScript numbers: milliseconds up to 2^53 reach year 287396,
 * so larger values are rejected instead of silently rounded.
 */
export function parseSafeInt64(value: unknown, what = 'value'): number {
  const big = parseInt64(value, what);
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new InvalidArgumentError(`${what} ${big} is outside the supported range ±(2^53-1)`);
  }
  return Number(big);
}
