import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether a request may boot an empty store over REST: only with the deployment's bootstrap token
 * (AM_BOOTSTRAP_TOKEN). Without one configured, boot over REST is refused (universe-format §7,
 * compat-rest §4.1); the store is then booted at start (AM_BOOT_UNIVERSE). Compared in constant
 * time, over digests so that the length does not show either.
 */
export function bootAllowed(configured: string | undefined, presented: string | undefined): boolean {
  if (configured === undefined || presented === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(configured), digest(presented));
}
