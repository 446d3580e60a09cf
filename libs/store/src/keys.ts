/**
 * Key layout in etcd. Everything lives under one configurable prefix (default `/am/`), one
 * sub-prefix per owning domain, so a domain's data can be read, watched or wiped as a range.
 */
export const DOMAINS = ['meta', 'events', 'history', 'identity', 'pki'] as const;
export type Domain = (typeof DOMAINS)[number];

export class KeyLayout {
  constructor(readonly prefix: string = '/am/') {
    if (!/^\/[A-Za-z0-9/_-]*\/$/.test(prefix)) throw new Error(`invalid etcd prefix ${JSON.stringify(prefix)}`);
  }
  /** The range of one domain, e.g. `/am/meta/`. */
  domain(d: Domain): string {
    return `${this.prefix}${d}/`;
  }
  /** Identity's signing keys, one record per key id (public part readable by every verifier). */
  signingKeys(): string {
    return `${this.domain('identity')}signing-keys/`;
  }
}
