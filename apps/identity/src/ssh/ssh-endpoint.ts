import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Server } from 'ssh2';

/**
 * The ssh credential endpoint. Public-key authentication only; until credential issuance is
 * built (identity issue), every attempt is refused with the normal publickey failure.
 */
export async function startSshEndpoint(options: { hostKey: Buffer; port: number; host: string; log: Logger }) {
  const server = new Server({ hostKeys: [options.hostKey] }, (client) => {
    client.on('authentication', (ctx) => ctx.reject(['publickey']));
    client.on('error', (err) => options.log.debug({ err: err.message }, 'ssh client error'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
