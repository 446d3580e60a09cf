import { unwrap, type AccessEngine, type OpenRegion } from '@am/engine';
import { ROOT_PATH } from '@am/model';
import type { Logger } from 'pino';

/** Regions named in a log line or a load reply; the count is always whole. */
const FIRST_REGIONS = 20;

/**
 * After a boot or an import: the default-open report of the whole tree, logged for the operator
 * (who may see all of it), and its summary as `asker` may see it, for the reply.
 */
export function reportDefaultOpen(engine: AccessEngine, asker: string | undefined, now: number, log: Logger, what: string): { count: number; first: OpenRegion[] } {
  const all = unwrap(engine.defaultOpen(undefined, ROOT_PATH, now));
  if (all.length === 0) log.info(`${what}: no subtree is open by default (every ADMIN, WRITE and APPLYROLE is governed by an ACE)`);
  else {
    log.warn(
      { count: all.length, first: all.slice(0, FIRST_REGIONS).map((r) => `${r.operation} ${r.path} (${r.nodes})`) },
      `${what}: ${all.length} subtree(s) where ADMIN, WRITE or APPLYROLE is open to every principal because no ACE applies; see GET /v1/analysis/default-open or am lint`,
    );
  }
  const seen = asker === undefined ? all : unwrap(engine.defaultOpen(asker, ROOT_PATH, now));
  return { count: seen.length, first: seen.slice(0, FIRST_REGIONS) };
}
