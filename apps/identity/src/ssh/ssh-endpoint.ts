import { isAmError, isPrincipalPath, parsePath } from '@am/model';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Server, type AuthContext, type Connection, type ServerChannel } from 'ssh2';
import { findOfferedKey } from '@am/crypto';
import type { FailureLimiter } from './failure-limiter';

const CONNECTION_GRACE_MS = 60_000;

export interface SshEndpointOptions {
  hostKey: Buffer;
  port: number;
  host: string;
  log: Logger;
  /** The authorized_keys lines a login as `principal` may present (policy decides, access-model §8.6). */
  loginKeys: (principal: string) => Promise<string[]>;
  /** Signs a credential for an authenticated principal. */
  issue: (principal: string) => Promise<string>;
  limiter: FailureLimiter;
  /** Counts outcomes for metrics. */
  onOutcome?: (outcome: 'issued' | 'refused' | 'rate-limited' | 'error') => void;
}

/**
 * The ssh credential endpoint (access-model §8.6, compat-rest §7). The login name is the
 * principal path; public-key authentication only, against the keys policy returns for it (no key,
 * no login). An authenticated session gets one line — the credential and a newline — then exit
 * status 0 and close, whatever command, shell or pty it asked for. Failures are the normal
 * publickey refusal; failed attempts are limited per source address.
 */
export async function startSshEndpoint(options: SshEndpointOptions) {
  const { log, limiter } = options;
  const open = new Set<Connection>();
  const server = new Server({ hostKeys: [options.hostKey], ident: 'AccessManager' }, (client, info) => {
    const address = info.ip;
    open.add(client);
    // A connection gets a credential within seconds; one that lingers (never authenticates, asks
    // for nothing) is closed, so idle connections cannot pile up (OpenSSH's LoginGraceTime).
    const grace = setTimeout(() => client.end(), CONNECTION_GRACE_MS);
    client.on('close', () => {
      clearTimeout(grace);
      open.delete(client);
    });
    let principal: string | undefined;
    client.on('authentication', (ctx) => {
      void authenticate(ctx, address).then(
        (accepted) => {
          if (accepted) principal = accepted;
        },
        (err: Error) => {
          log.warn({ err: err.message }, 'ssh authentication failed unexpectedly');
          options.onOutcome?.('error');
          ctx.reject(['publickey']);
        },
      );
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        // A pty or environment is granted and ignored; any shell, command or subsystem gets the credential.
        session.on('pty', (ok) => ok?.());
        session.on('env', (ok) => ok?.());
        session.on('window-change', (ok) => ok?.());
        const deliver = (ok: () => ServerChannel) => {
          const channel = ok();
          void deliverCredential(client, channel, principal);
        };
        session.on('shell', (ok) => deliver(ok));
        session.on('exec', (ok) => deliver(ok));
        session.on('subsystem', (ok) => deliver(ok));
      });
    });
    client.on('error', (err) => log.debug({ err: err.message }, 'ssh client error'));
  });

  /** Resolves to the principal when the client proved a key of it; every other outcome rejects the attempt. */
  async function authenticate(ctx: AuthContext, address: string): Promise<string | undefined> {
    if (ctx.method !== 'publickey') {
      ctx.reject(['publickey']);
      return undefined;
    }
    if (limiter.blocked(address)) {
      options.onOutcome?.('rate-limited');
      ctx.reject(['publickey']);
      return undefined;
    }
    const principal = principalOf(ctx.username);
    let keys: string[] = [];
    if (principal) {
      try {
        keys = await options.loginKeys(principal);
      } catch (err) {
        // Not found (or not a principal) is an ordinary refusal; anything else fails closed without counting.
        if (!isAmError(err) || err.code === 'unavailable' || err.code === 'internal') throw err;
      }
    }
    const match = findOfferedKey(keys, ctx.key.data);
    if (!principal || !match) {
      limiter.fail(address);
      options.onOutcome?.('refused');
      ctx.reject(['publickey']);
      return undefined;
    }
    if (!ctx.signature || !ctx.blob) {
      // The client asks whether this key would do; it signs next.
      ctx.accept();
      return undefined;
    }
    if (match.parsed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
      limiter.fail(address);
      options.onOutcome?.('refused');
      ctx.reject(['publickey']);
      return undefined;
    }
    ctx.accept();
    return principal;
  }

  async function deliverCredential(client: Connection, channel: ServerChannel, principal: string | undefined): Promise<void> {
    try {
      if (!principal) throw new Error('session without an authenticated principal');
      const credential = await options.issue(principal);
      channel.write(`${credential}\n`);
      channel.exit(0);
      options.onOutcome?.('issued');
    } catch (err) {
      log.error({ err: (err as Error).message, principal }, 'ssh credential not issued');
      options.onOutcome?.('error');
      channel.stderr.write('credential could not be issued\n');
      channel.exit(1);
    }
    channel.end();
    channel.once('close', () => client.end());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open connections would keep close() waiting.
        for (const c of open) c.end();
      }),
  };
}

/** The login name must be a principal path (access-model §8.6); anything else authenticates nobody. */
function principalOf(username: string): string | undefined {
  try {
    const path = parsePath(username);
    return isPrincipalPath(path) ? path : undefined;
  } catch {
    return undefined;
  }
}
