import type { CredentialAttestor } from '@am/auth';
import { gatewayServerCertificateContract, type BusClient } from '@am/bus';
import { parseCertificate } from '@am/crypto';
import type { PkiView } from '@am/pki-state';
import type { FastifyInstance } from 'fastify';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions, SecureVersion } from 'node:tls';
import type { Logger } from 'pino';
import { gatewayKeyAndCsr } from './csr';

export interface TlsListenerOptions {
  port: number;
  host: string;
  sans: { dns: string[]; ip: string[] };
  validityMs: number;
  minVersion: SecureVersion;
  ciphers: string;
  /** Listen for HTTPS (false: only obtain the certificate, e.g. to attest proxied client certificates). */
  listen: boolean;
}

interface Current extends CredentialAttestor {
  serial: string;
  notBefore: number;
  notAfter: number;
}

/**
 * The gateway's HTTPS listener and its server certificate. The key is generated in the gateway
 * (memory only) and the certificate is signed by the pki over the dedicated
 * `am.pki.service.gateway-certificate` subject (authorized by the NATS account), renewed at two
 * thirds of its lifetime and at once if it is revoked. Until the first certificate arrives the
 * listener is bound but refuses handshakes; `ready` settles when it serves.
 */
export class GatewayTls {
  private current?: Current;
  private server?: Server;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private renewing?: Promise<void>;
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(
    private readonly options: TlsListenerOptions,
    private readonly deps: { bus: BusClient; view: PkiView; log: Logger },
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    deps.view.onChange((_rev, changes) => {
      if (changes.has('revoked') && this.current && deps.view.isRevoked(this.current.serial)) {
        deps.log.warn({ serial: this.current.serial }, 'the gateway TLS certificate was revoked; renewing');
        void this.renew();
      }
    });
  }

  /** The certificate and key that attest client certificates (undefined until issued). */
  readonly attestor = (): CredentialAttestor | undefined => this.current;

  /** Binds the listener (when enabled) and obtains the certificate in the background, retrying until the pki answers. */
  async start(fastify: FastifyInstance): Promise<number | undefined> {
    void this.renew();
    if (!this.options.listen) return undefined;
    const server = createServer(
      {
        requestCert: true,
        // Verified in code with the live PKI view (client-auth.ts): a refused certificate is a 401
        // with a reason on routes that need a caller, not a failed handshake; public routes stay open.
        rejectUnauthorized: false,
        minVersion: this.options.minVersion,
        ...(this.options.ciphers ? { ciphers: this.options.ciphers } : {}),
      },
      (req, res) => fastify.routing(req, res),
    );
    // The peer certificate is read once per connection: no renegotiation may change it.
    server.on('secureConnection', (socket) => socket.disableRenegotiation());
    server.keepAliveTimeout = 72_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  private renew(): Promise<void> {
    this.renewing ??= this.obtain().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async obtain(): Promise<void> {
    for (let delay = 200; !this.closed; delay = Math.min(delay * 2, 5000)) {
      try {
        const { privateKey, csrPem } = gatewayKeyAndCsr();
        const r = await this.deps.bus.request(gatewayServerCertificateContract, {
          csr: csrPem,
          dns: this.options.sans.dns,
          ip: this.options.sans.ip,
          validitySeconds: Math.max(60, Math.floor(this.options.validityMs / 1000)),
        });
        const cert = parseCertificate(r.certificate);
        this.install({ certificateDer: cert.der, privateKey, serial: r.serial, notBefore: Date.parse(r.notBefore), notAfter: Date.parse(r.notAfter) }, r.certificate + r.chain);
        this.deps.log.info({ serial: r.serial, notAfter: r.notAfter, dns: this.options.sans.dns, ip: this.options.sans.ip }, 'gateway TLS certificate installed');
        return;
      } catch (err) {
        this.deps.log.warn({ err: (err as Error).message }, 'no TLS certificate from the pki yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
  }

  private install(current: Current, certificateChainPem: string): void {
    const context: SecureContextOptions = {
      key: current.privateKey.export({ format: 'pem', type: 'pkcs8' }),
      cert: certificateChainPem,
      minVersion: this.options.minVersion,
      ...(this.options.ciphers ? { ciphers: this.options.ciphers } : {}),
    };
    this.server?.setSecureContext(context);
    this.current = current;
    this.markReady();
    clearTimeout(this.timer);
    const renewAt = current.notBefore + ((current.notAfter - current.notBefore) * 2) / 3;
    // setTimeout takes at most 2^31-1 ms; a later renewal re-arms itself.
    this.timer = setTimeout(() => void (Date.now() >= renewAt ? this.renew() : this.install(current, certificateChainPem)), Math.min(Math.max(renewAt - Date.now(), 1000), 2 ** 31 - 1));
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
