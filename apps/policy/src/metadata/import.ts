import { AccessEngine, unwrap } from '@am/engine';
import { InvalidArgumentError, LEAF_MARKER_TAGS, newUnique, STRUCTURAL_TAGS, Tag, type Annotation, type Universe } from '@am/model';
import { byDepthThenPath } from '@am/store';

/**
 * An import into a live tree, governed by the normal permissions: every node the file adds is a
 * create the caller must be allowed, every annotation an add-or-replace (by unique) the caller must
 * be allowed, decided in order on a scratch copy of the tree. Returns the resulting tree, which the
 * store then swaps in atomically (refused if the tree changed meanwhile), and how many changes it
 * took to get there.
 */
export function planImport(current: AccessEngine, caller: string, universe: Universe, now: number): { universe: Universe; changes: number } {
  const scratch = AccessEngine.fromUniverse(current.toUniverse());
  let changes = 0;
  const nodes = [...universe.nodes].sort((a, b) => byDepthThenPath(a.path, b.path));
  for (const node of nodes) {
    if (!scratch.has(node.path)) {
      const directory = !node.annotations.some((a) => LEAF_MARKER_TAGS.has(a.tag));
      scratch.apply(unwrap(scratch.authorize(caller, { kind: 'create-node', path: node.path, directory }, now)));
      changes++;
    }
    for (const a of node.annotations) {
      if (STRUCTURAL_TAGS.has(a.tag)) continue;
      const annotation = { ...a, version: -1 } as Annotation;
      scratch.apply(unwrap(scratch.authorize(caller, { kind: 'put-annotation', path: node.path, annotation }, now)));
      changes++;
    }
  }
  return { universe: scratch.toUniverse(), changes };
}

export const OPERATOR = 'am://user/the-operator';

/** compat /bootstrap `key`: the operator's ssh key, added before the universe is booted. */
export function withOperatorKey(universe: Universe, key: string): Universe {
  const line = key.trim();
  if (!/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/.test(line) || line.includes('\n')) {
    throw new InvalidArgumentError('unable to add ssh key to operator: not an OpenSSH public key line');
  }
  if (!universe.nodes.some((n) => n.path === OPERATOR)) throw new InvalidArgumentError(`unable to add ssh key to operator: ${OPERATOR} not found`);
  const sshKey: Annotation = { tag: Tag.SSH_PUBKEY, unique: newUnique(), version: 1, startMillis: 0, endMillis: 0, data: line };
  return { nodes: universe.nodes.map((n) => (n.path === OPERATOR ? { ...n, annotations: [...n.annotations, sshKey] } : n)) };
}
