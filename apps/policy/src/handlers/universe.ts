import { exportUniverseContract, handler, loadUniverseContract, streamHandler, type BusHandler } from '@am/bus';
import { unwrap } from '@am/engine';
import { exportUniverseChunks, Op, parsePath, PermissionDeniedError, ROOT_PATH, UnauthenticatedError } from '@am/model';
import type { PointInTime } from '@am/store';

/** How long a boot or import waits for the new tree to be served before answering (a large one loads for seconds). */
const TREE_LOAD_WAIT_MS = 60_000;
import type { Logger } from 'pino';
import { reportDefaultOpen } from '../metadata/default-open';
import { planImport, withOperatorKey } from '../metadata/import';
import type { MetadataService } from '../metadata/metadata-service';
import { PastView } from '../metadata/time-travel';
import { readUniverse } from '../metadata/universes';

/**
 * Universe boot, import and export. Booting an empty store needs no credential here: the gateway
 * decides who may bootstrap. Replacing a tree (`force`) and importing into a live tree are for
 * operators (Admin on am://: either rewrites the whole tree and stores it in the event log, so
 * nobody else may make the store do that); an import is moreover a sequence of ordinary,
 * individually authorized changes, applied atomically, and one with nothing to create or annotate
 * writes nothing.
 */
export function universeHandlers(svc: MetadataService, log: Logger): BusHandler[] {
  return [
    handler(loadUniverseContract, async ({ credential, universe: source, operatorKey, force, bootAllowed }) => {
      const parsed = await readUniverse(source);
      const warnings = [...parsed.warnings.map((w) => `${w.path}: ${w.message}`), ...parsed.renumbered.map((r) => `${r.path}: duplicate ${r.tag} unique renumbered`)];
      let universe = operatorKey ? withOperatorKey(parsed.universe, operatorKey) : parsed.universe;
      const progress = (written: number, total: number) => log.info({ written, total }, 'loading universe');
      const view = await svc.view();
      if (svc.projection.empty) {
        if (!bootAllowed) throw new UnauthenticatedError('boot is disabled on this endpoint');
        const { revision } = await svc.store.boot(universe, (await credentialOwner(svc, credential)) ?? 'bootstrap', { onProgress: progress });
        await svc.projection.atLeast(revision, TREE_LOAD_WAIT_MS).catch(() => undefined);
        // Whoever may boot chose the whole tree: they see its whole report.
        const defaultOpen = reportDefaultOpen(svc.projection.engine, undefined, svc.clock(), log, 'booted universe');
        return { revision, mode: 'boot' as const, nodes: universe.nodes.length, warnings, defaultOpen };
      }
      if (!credential) throw new UnauthenticatedError('data already exists: a credential is needed to import into it');
      // What a commit compares, taken with the view (before anything else is awaited).
      const expectations = svc.projection.expectations();
      const caller = await svc.caller(credential);
      const now = svc.clock();
      if (!view.engine.isAllowed(caller, ROOT_PATH, Op.ADMIN, now)) {
        throw new PermissionDeniedError(`permission denied: ${force ? 'replacing the tree' : 'importing into the tree'} needs Admin on am://`);
      }
      // What the caller sent, not what the tree holds: the count of the whole tree is not theirs to learn.
      const nodes = universe.nodes.length;
      if (!force) {
        const plan = planImport(view.engine, caller, universe, now);
        if (plan.changes === 0) return { revision: view.revision, mode: 'import' as const, nodes, warnings };
        universe = plan.universe;
      }
      const { revision } = await svc.store.boot(universe, caller, { kind: 'import', replacing: expectations, onProgress: progress });
      await svc.projection.atLeast(revision, TREE_LOAD_WAIT_MS).catch(() => undefined);
      const defaultOpen = reportDefaultOpen(svc.projection.engine, caller, svc.clock(), log, force ? 'replaced the tree' : 'imported a universe');
      return { revision, mode: 'import' as const, nodes, warnings, defaultOpen };
    }),
    // The file is written as it is sent (reply-stream.ts): never one string, whatever the tree's size.
    streamHandler(exportUniverseContract, async ({ credential, atLeast, path, asOf }) => {
      const caller = await svc.caller(credential);
      if (!asOf) {
        const view = await svc.view(atLeast);
        return { head: { revision: view.revision }, body: exportUniverseChunks(unwrap(view.engine.exportVisible(caller, path, svc.clock())).universe) };
      }
      // What the caller could see then, cut to what it may see now (PastView).
      const past = await PastView.open(svc, caller, asOf as PointInTime, atLeast);
      const root = parsePath(path);
      const { universe } = unwrap(past.past.engine.exportVisible(caller, root, past.instant));
      await past.requireVisible([root]);
      return { head: { revision: past.past.revision }, body: exportUniverseChunks(await past.universe(universe, root)) };
    }),
  ];
}

/** The actor recorded for a boot: the caller when one is given and resolvable. */
function credentialOwner(svc: MetadataService, credential: string | undefined): Promise<string | undefined> {
  return credential ? svc.caller(credential).catch(() => undefined) : Promise.resolve(undefined);
}
