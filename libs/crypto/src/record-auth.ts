import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { MasterKey } from './master-key';

/**
 * Authentication of the records a service trusts from etcd (signing keys, the CA chain, trust
 * anchors, pins). etcd's access control keeps other services out; this keeps out anyone who writes
 * to etcd anyway (its root user, a copied data directory, a restored backup from elsewhere).
 *
 * The owner of a domain (identity, pki) signs each record with an Ed25519 key derived from its
 * master key; verifiers hold only the public half, given to them by configuration, so a verifier
 * that is compromised still cannot forge a record. The signature covers the record's etcd key and
 * its JSON, so a record moved to another key, or changed in any field, does not authenticate.
 */
export type RecordDomain = 'identity' | 'pki';

/** The field of a stored record that carries its signature (base64). */
export const RECORD_AUTH_FIELD = 'auth';

const SCHEME = 'ed25519';
/** PKCS#8 DER of an Ed25519 private key, without its 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** SPKI DER of an Ed25519 public key, without its 32 bytes. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The HKDF `info` of a domain's record key; deploy/make-secrets derives the same with openssl. */
export const recordKeyInfo = (domain: RecordDomain) => `am record key v1: ${domain}`;

export class RecordKeyError extends Error {
  override name = 'RecordKeyError';
}

function message(domain: RecordDomain, etcdKey: string, body: string): Buffer {
  return Buffer.from(`am-record-v1\0${domain}\0${etcdKey}\0${body}`, 'utf8');
}

/** Splits a stored value into the record (without its signature) and the signature, if any. */
function split(value: unknown): { body: string; record: Record<string, unknown>; auth?: string } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { [RECORD_AUTH_FIELD]: auth, ...record } = value as Record<string, unknown>;
  return { body: JSON.stringify(record), record, ...(typeof auth === 'string' ? { auth } : {}) };
}

/** Checks records of one domain against its public record key. */
export class RecordVerifier {
  protected constructor(
    readonly domain: RecordDomain,
    protected readonly publicKey: KeyObject,
  ) {}

  /** From the configured form `ed25519:<base64 of the 32-byte public key>`. */
  static parse(domain: RecordDomain, text: string): RecordVerifier {
    const match = /^ed25519:([A-Za-z0-9+/]{43}=)$/.exec(text.trim());
    const raw = match && Buffer.from(match[1], 'base64');
    if (!raw || raw.length !== 32) throw new RecordKeyError(`the ${domain} record key must be "${SCHEME}:" and 32 bytes of base64, as deploy/make-secrets writes it and the ${domain} service logs it at start`);
    return new RecordVerifier(domain, createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' }));
  }

  /** The configured form of this key. */
  toString(): string {
    const spki = this.publicKey.export({ format: 'der', type: 'spki' });
    return `${SCHEME}:${spki.subarray(ED25519_SPKI_PREFIX.length).toString('base64')}`;
  }

  /**
   * The record without its signature when `value` (parsed JSON) is signed for `etcdKey`, else
   * undefined: a record that does not authenticate is treated as absent.
   */
  open(etcdKey: string, value: unknown): Record<string, unknown> | undefined {
    const parts = split(value);
    if (!parts?.auth) return undefined;
    const ok = verify(null, message(this.domain, etcdKey, parts.body), this.publicKey, Buffer.from(parts.auth, 'base64'));
    return ok ? parts.record : undefined;
  }
}

/** The owner's side: signs records (and verifies them, like anyone). */
export class RecordSigner extends RecordVerifier {
  private constructor(
    domain: RecordDomain,
    private readonly privateKey: KeyObject,
  ) {
    super(domain, createPublicKey(privateKey));
  }

  static fromMasterKey(domain: RecordDomain, masterKey: MasterKey): RecordSigner {
    const seed = masterKey.derive(recordKeyInfo(domain));
    return new RecordSigner(domain, createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }));
  }

  /** The public half, for the verifiers' configuration. */
  verifier(): RecordVerifier {
    return RecordVerifier.parse(this.domain, this.toString());
  }

  /** The JSON to store at `etcdKey`: the record with its signature as the last field. */
  seal(etcdKey: string, record: object): string {
    const parts = split(JSON.parse(JSON.stringify(record)));
    if (!parts) throw new TypeError('a record must be a JSON object');
    const auth = sign(null, message(this.domain, etcdKey, parts.body), this.privateKey).toString('base64');
    return JSON.stringify({ ...parts.record, [RECORD_AUTH_FIELD]: auth });
  }
}
