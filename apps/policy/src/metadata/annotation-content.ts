import { parseAuthorizedKey } from '@am/crypto';
import { AmError, checkAnnotationLimits, InvalidArgumentError, isTextAnnotation, SSH_KEY_TAGS, type Annotation, type Universe, type UniverseProblem, UniverseFormatError } from '@am/model';

/**
 * What an incoming annotation must satisfy beyond its JSON shape: the model's limits (size, time
 * window) and, for `ssh-pubkey`, one OpenSSH public key the ssh endpoint can use — the same parser
 * identity uses at login, so a key that is accepted here is a key that can log in.
 */
export function checkIncomingAnnotation(a: Annotation): void {
  checkAnnotationLimits(a);
  if (SSH_KEY_TAGS.has(a.tag) && isTextAnnotation(a) && !parseAuthorizedKey(a.data)) {
    throw new InvalidArgumentError(
      `${a.tag} is not an OpenSSH public key: expected one authorized_keys line "<type> <base64 key> [comment]" whose key blob is of that type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521)`,
      'data',
    );
  }
}

/** The same check over a universe file's annotations; every problem is listed (universe-format §4). */
export function checkIncomingUniverse(universe: Universe): void {
  const problems: UniverseProblem[] = [];
  for (const node of universe.nodes) {
    for (const a of node.annotations) {
      try {
        checkIncomingAnnotation(a);
      } catch (e) {
        if (!(e instanceof AmError)) throw e;
        problems.push({ path: node.path, message: e.message });
      }
    }
  }
  if (problems.length > 0) throw new UniverseFormatError(problems);
}
