/**
 * Which key signs the next credential (access-model §8.7, the reference's rule kept exactly).
 * Because the chosen key outlives the credential by at least SIGNING_MARGIN_SEC and keys are
 * dropped only EXPIRED_KEY_GRACE_SEC after their own expiry, every credential stays verifiable
 * (its key stays published) until it expires; no separate retirement bookkeeping is needed.
 */
export const DEFAULT_ROTATION_PERIOD_SEC = 6 * 3600;
/** A key signs only while it outlives the new credential by at least this much. */
export const SIGNING_MARGIN_SEC = 5 * 60;
/** Expired keys linger this long (still published) before they are deleted. */
export const EXPIRED_KEY_GRACE_SEC = 60;
/** Lifetime of a new key when the rotation period is too short for the credential. */
const LONG_CREDENTIAL_EXTRA_SEC = 3600 + SIGNING_MARGIN_SEC;

export interface RotationOptions {
  rotationPeriodSec?: number;
}

export type SigningKeyChoice<K> = { action: 'use'; key: K } | { action: 'create'; expiry: number };

export interface SigningKeySelection<K> {
  /** Keys to keep (and publish). */
  retained: K[];
  /** Keys expired more than EXPIRED_KEY_GRACE_SEC ago: delete them from the store. */
  discarded: K[];
  choice: SigningKeyChoice<K>;
}

/** Pure: `now` and `lifetimeSec` in seconds; `keys` may be in any order. */
export function selectSigningKey<K extends { readonly expiry: number }>(
  keys: readonly K[],
  lifetimeSec: number,
  now: number,
  options: RotationOptions = {},
): SigningKeySelection<K> {
  const period = options.rotationPeriodSec ?? DEFAULT_ROTATION_PERIOD_SEC;
  if (!(lifetimeSec > 0) || !(period > 0)) throw new Error('lifetime and rotation period must be positive');
  const retained = keys.filter((k) => k.expiry >= now - EXPIRED_KEY_GRACE_SEC);
  const discarded = keys.filter((k) => k.expiry < now - EXPIRED_KEY_GRACE_SEC);
  const needed = now + lifetimeSec + SIGNING_MARGIN_SEC;
  let best: K | undefined;
  for (const k of retained) if (k.expiry >= needed && (best === undefined || k.expiry < best.expiry)) best = k;
  if (best) return { retained, discarded, choice: { action: 'use', key: best } };
  const expiry = now + period >= needed ? now + period : now + lifetimeSec + LONG_CREDENTIAL_EXTRA_SEC;
  return { retained, discarded, choice: { action: 'create', expiry } };
}
