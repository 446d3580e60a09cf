import { BusClient, BusUnavailableError, PLUGIN_USER_NAME, vouchContract, type IssuedCredential } from '@am/bus';
import { InvalidArgumentError, UnauthenticatedError, UnavailableError } from '@am/model';
import { connect, type NatsConnection } from 'nats';
import { fetchSshCredential, SshLoginError, type SshLogin } from './ssh-login';

/**
 * Where plugin `user` receives replies: `_INBOX.plugin.<user>`. Its NATS user may subscribe to
 * nothing else (libs/testing pluginPermissions), and no other plugin may subscribe there.
 */
export function pluginInboxPrefix(user: string): string {
  if (!PLUGIN_USER_NAME.test(user)) throw new InvalidArgumentError(`plugin NATS user ${JSON.stringify(user)} must be 1-64 letters, digits, '-' or '_'`);
  return `_INBOX.plugin.${user}`;
}

export interface PluginOptions {
  nats: {
    servers: string | string[];
    user: string;
    password: string;
    /** Must lie inside what the NATS user may subscribe to (default `_INBOX.plugin.<user>`). */
    inboxPrefix?: string;
  };
  /** How the plugin proves who it is: a credential it was given, or an ssh key it logs in with. */
  identity: { credential: string } | { ssh: SshLogin };
  /** Refresh the plugin's own (ssh-obtained) credential this long before it expires. Default 5 min. */
  refreshMarginSec?: number;
  requestTimeoutMs?: number;
  /** Unix milliseconds. */
  clock?: () => number;
}

/** The request could not reach the identity service (NATS down, nobody answering, timeout). */
export class PluginUnavailableError extends UnavailableError {}


/**
 * An identity plugin's connection to the Access Manager (access-model §8.5): the plugin
 * authenticates a user by its own means, then asks identity over NATS for a credential for that
 * user's principal with its own credential as caller (`vouch`). Errors are the Access Manager's
 * typed errors (UnauthenticatedError, NotFoundError, PermissionDeniedError, InvalidArgumentError)
 * or PluginUnavailableError. NATS reconnects by itself; the plugin's own credential is renewed
 * through the ssh endpoint before it expires and once more when identity refuses it.
 */
export class IdentityPlugin {
  private own?: { credential: string; expiresAt?: number };
  private refreshing?: Promise<string>;
  private readonly clock: () => number;
  private readonly bus: BusClient;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: PluginOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.bus = new BusClient(() => nc, options.requestTimeoutMs ?? 5000, options.nats.inboxPrefix ?? pluginInboxPrefix(options.nats.user));
    if ('credential' in options.identity) this.own = { credential: options.identity.credential.trim(), expiresAt: expiryOf(options.identity.credential) };
  }

  static async connect(options: PluginOptions): Promise<IdentityPlugin> {
    const nc = await connect({
      servers: options.nats.servers,
      user: options.nats.user,
      pass: options.nats.password,
      inboxPrefix: options.nats.inboxPrefix ?? pluginInboxPrefix(options.nats.user),
      name: `identity-plugin ${options.nats.user}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    const plugin = new IdentityPlugin(nc, options);
    try {
      await plugin.credential();
    } catch (err) {
      await nc.close();
      throw err;
    }
    return plugin;
  }

  /** The plugin's own credential, renewed by ssh when it is about to expire. */
  async credential(): Promise<string> {
    const margin = (this.options.refreshMarginSec ?? 300) * 1000;
    if (this.own && (this.own.expiresAt === undefined || this.own.expiresAt * 1000 - margin > this.clock())) return this.own.credential;
    if (!('ssh' in this.options.identity)) {
      if (this.own) return this.own.credential; // cannot renew a given credential: use it until identity refuses it
      throw new UnauthenticatedError('the plugin has no credential');
    }
    return this.refresh();
  }

  /** A login credential for `principal`, if this plugin may vouch for it (View + VOUCHFOR). */
  async vouch(principal: string): Promise<IssuedCredential> {
    try {
      return await this.request(await this.credential(), principal);
    } catch (err) {
      // Our own credential may have been refused (expired early, key retired): renew once by ssh.
      if (!(err instanceof UnauthenticatedError) || !('ssh' in this.options.identity)) throw err;
      return this.request(await this.refresh(), principal);
    }
  }

  /** The subject is closed to every other request: the plugin's NATS user may publish nowhere else. */
  private async request(credential: string, principal: string): Promise<IssuedCredential> {
    try {
      return await this.bus.request(vouchContract, { credential, principal });
    } catch (err) {
      if (err instanceof BusUnavailableError) throw new PluginUnavailableError(err.message);
      throw err;
    }
  }

  private refresh(): Promise<string> {
    const identity = this.options.identity;
    if (!('ssh' in identity)) return Promise.reject(new UnauthenticatedError('the plugin credential was refused and cannot be renewed'));
    this.refreshing ??= fetchSshCredential(identity.ssh)
      .then((credential) => {
        this.own = { credential, expiresAt: expiryOf(credential) };
        return credential;
      })
      .catch((err: unknown) => {
        // An endpoint that cannot be reached is the same trouble as NATS down: try again later.
        throw err instanceof SshLoginError && err.unreachable ? new PluginUnavailableError(err.message) : err;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  /** Resolves when NATS is closed (by close() or for good). */
  get closed(): Promise<void | Error> {
    return this.nc.closed();
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => this.nc.close());
  }
}

/** The `exp` claim of a JWT, read without verification (only to schedule renewal); undefined for a principal path. */
export function expiryOf(credential: string): number | undefined {
  const payload = credential.trim().split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}
