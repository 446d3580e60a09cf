import { issueCredential, keyId, newCredentialId, type CredentialAce, type CredentialKind } from '@am/crypto';
import type { Logger } from 'pino';
import type { CredentialEventLog, IdentityEvent } from '../events';
import type { SigningKeyStore } from '../keys/signing-key-store';

export interface IssueRequest {
  principal: string;
  kind: CredentialKind;
  roles?: readonly string[];
  lifetimeSec: number;
  /** How the principal proved itself. */
  via: 'ssh' | 'vouch' | 'delegation';
  /** Who asked (the plugin for a vouch; the principal itself otherwise). */
  actor: string;
  /** Delegation credentials: the dataset, and the ACEs (omitted from the token when empty). */
  dataset?: string;
  targetAce?: CredentialAce;
  heritableAce?: CredentialAce;
}

export interface Issued {
  credential: string;
  principal: string;
  expiresAt: number;
  jti: string;
  kid: string;
}

/**
 * Signs credentials with the current signing key and hands each issue (never the token) to the
 * audit log in etcd, which writes it behind the answer, announces it once written, and refuses new
 * issues while it lags (see CredentialEventLog). `onIssued` sees each issue the log accepted (for
 * metrics). The decision to issue was made before, by the policy service; this class only signs
 * what it is given.
 */
export class CredentialIssuer {
  constructor(
    private readonly keys: SigningKeyStore,
    private readonly events: CredentialEventLog,
    private readonly onIssued: (event: IdentityEvent) => void,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  async issue(request: IssueRequest): Promise<Issued> {
    this.events.admit();
    const key = await this.keys.signingKeyFor(request.lifetimeSec);
    const now = Math.floor(this.clock() / 1000);
    const jti = newCredentialId();
    const credential = await issueCredential({
      key,
      principal: request.principal,
      kind: request.kind,
      ...(request.kind === 'delegation'
        ? { roles: request.roles ?? [], dataset: request.dataset, targetAce: request.targetAce, heritableAce: request.heritableAce }
        : {}),
      lifetimeSec: request.lifetimeSec,
      now,
      jti,
    });
    const expiresAt = now + request.lifetimeSec;
    const event: IdentityEvent = {
      kind: 'credential-issued',
      time: new Date(this.clock()).toISOString(),
      principal: request.principal,
      via: request.via,
      actor: request.actor,
      jti,
      kid: keyId(key.expiry),
      expiresAt,
      ...(request.roles ? { roles: [...request.roles] } : {}),
      ...(request.dataset ? { dataset: request.dataset } : {}),
    };
    this.events.record(event);
    this.onIssued(event);
    this.log.info({ principal: request.principal, via: request.via, actor: request.actor, jti, expiresAt }, 'credential issued');
    return { credential, principal: request.principal, expiresAt, jti, kid: keyId(key.expiry) };
  }
}
