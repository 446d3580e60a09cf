/** Annotation uniques (access-model §2.1): any int64 from files, new ones random 53-bit, never 0. */
import { parseInt64 } from './int64';

export const MAX_NEW_UNIQUE = 2n ** 53n - 1n;

/** A source of 32 random bits; injectable so that callers (and tests) stay deterministic. */
export type RandomUint32 = () => number;

const cryptoRandomUint32: RandomUint32 = () => globalThis.crypto.getRandomValues(new Uint32Array(1))[0];

/** A deterministic 32-bit source (mulberry32) for tests, benchmarks and reproducible imports. */
export function seededRandom(seed: number): RandomUint32 {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A fresh unique in [1, 2^53 − 1]. */
export function newUnique(random: RandomUint32 = cryptoRandomUint32): bigint {
  for (;;) {
    const high = BigInt(random() & 0x1fffff); // 21 bits
    const low = BigInt(random() >>> 0); // 32 bits
    const value = (high << 32n) | low;
    if (value !== 0n) return value;
  }
}

/** Parses a unique from a file or request; 0 means "assign one" and is returned as 0n. */
export function parseUnique(value: unknown): bigint {
  return parseInt64(value, 'unique');
}
